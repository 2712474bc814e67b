package hashing

// isoCountries are the ISO 3166-1 alpha-2 codes (249 assigned codes), space
// separated. A hashed Meta country that is none of them, in no known wrong
// form, is not a normalised country.
const isoCountries = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

// countryNames are wrong forms seen in place of ISO-2 codes: full English
// names and alpha-3 codes of the countries most tracking traffic comes from
// ("code=name=alpha3"). Each gives the name lower-cased and as written, and
// alpha-3 in both cases.
var countryNames = []string{
	"us=United States=USA", "gb=United Kingdom=GBR", "de=Germany=DEU", "fr=France=FRA", "es=Spain=ESP",
	"it=Italy=ITA", "nl=Netherlands=NLD", "be=Belgium=BEL", "at=Austria=AUT", "ch=Switzerland=CHE",
	"se=Sweden=SWE", "no=Norway=NOR", "dk=Denmark=DNK", "fi=Finland=FIN", "ie=Ireland=IRL",
	"pt=Portugal=PRT", "pl=Poland=POL", "cz=Czechia=CZE", "ca=Canada=CAN", "mx=Mexico=MEX",
	"br=Brazil=BRA", "ar=Argentina=ARG", "au=Australia=AUS", "nz=New Zealand=NZL", "jp=Japan=JPN",
	"in=India=IND", "cn=China=CHN", "za=South Africa=ZAF", "ae=United Arab Emirates=ARE", "tr=Turkey=TUR",
}

// topCities are frequent city names as customers type them. The Meta form is
// lower-case letters only ("newyork"); the name as written, lower-cased with
// spaces, and upper-cased are wrong variants.
var topCities = []string{
	"New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia", "San Antonio", "San Diego",
	"Dallas", "San Jose", "Austin", "Jacksonville", "Fort Worth", "Columbus", "Charlotte", "San Francisco",
	"Indianapolis", "Seattle", "Denver", "Washington", "Boston", "El Paso", "Nashville", "Detroit",
	"Oklahoma City", "Portland", "Las Vegas", "Memphis", "Louisville", "Baltimore", "Milwaukee", "Albuquerque",
	"Tucson", "Fresno", "Sacramento", "Kansas City", "Atlanta", "Miami", "Raleigh", "Omaha", "Minneapolis",
	"Tampa", "New Orleans", "Cleveland", "Pittsburgh", "Cincinnati", "St. Louis", "Orlando", "Salt Lake City",
	"Honolulu", "Toronto", "Montreal", "Vancouver", "Calgary", "Mexico City", "London", "Manchester",
	"Birmingham", "Glasgow", "Liverpool", "Edinburgh", "Dublin", "Paris", "Marseille", "Lyon", "Toulouse",
	"Berlin", "Hamburg", "Munich", "München", "Köln", "Cologne", "Frankfurt", "Stuttgart", "Düsseldorf",
	"Leipzig", "Vienna", "Wien", "Zurich", "Zürich", "Geneva", "Amsterdam", "Rotterdam", "Brussels",
	"Antwerp", "Madrid", "Barcelona", "Valencia", "Seville", "Lisbon", "Porto", "Rome", "Milan", "Naples",
	"Turin", "Stockholm", "Oslo", "Copenhagen", "Helsinki", "Warsaw", "Kraków", "Prague", "Budapest",
	"Athens", "Istanbul", "Dubai", "Sydney", "Melbourne", "Brisbane", "Perth", "Auckland", "Tokyo", "Osaka",
	"Singapore", "Hong Kong", "Mumbai", "Delhi", "Bangalore", "São Paulo", "Rio de Janeiro", "Buenos Aires",
	"Bogotá", "Lima", "Santiago", "Johannesburg", "Cape Town",
}

// zipPlus4Sample are US zips whose every ZIP+4 form (all 10,000 extensions,
// written "94035-1234" and "940351234") is in the wrong-variant set. ZIP+4
// cannot be enumerated for all 100,000 zips in memory; this sample catches a
// systematic ZIP+4 fault on the stores it covers and is a config point.
var zipPlus4Sample = []string{"94035", "10001", "90210", "60601", "33101"}
