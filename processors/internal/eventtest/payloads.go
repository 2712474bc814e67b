package eventtest

// Realistic values that recur across payloads.
const (
	// HashedEmail is the SHA-256 of a normalised e-mail address, as Meta
	// and Google expect hashed user data.
	HashedEmail = "c380883a7f5bd30f9566377252d7a73542e94bed90a654681412c7a0bfa0d409"
	// UserAgent is a desktop Chrome user agent.
	UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)

// CleanCAPI is a well-formed ~1 KB Meta CAPI Purchase, ten seconds before
// RecordTime, with every match key a website event can carry. No check
// should find anything in it; the zero-allocation tests and the benchmarks
// use it as the common case.
const CleanCAPI = `{"data":[{"event_name":"Purchase","event_time":1772446490,"event_id":"ORD-77120","action_source":"website",
"event_source_url":"https://store.example.net/order/complete?fbclid=IwZXh0bgNhZW0CMTEAAR2x_Demo-Click",
"user_data":{"em":["c380883a7f5bd30f9566377252d7a73542e94bed90a654681412c7a0bfa0d409"],"ph":["2f9fbc550b12cbc0e6242384cc472bd1e4f058a8b773f189f7acb86d202655ce"],
"fn":["24d4b96f58da6d4a8512313bbd02a28ebf0ca95dec6e4c86ef78ce7f01e788ac"],"ln":["00211591ed7f2b0c5a4eed1e1f2e1b6f5c3cbd2d17e8cd98bd7c8e8e1e6fd56d"],
"country":["959a45d412e5b4e3e7ba7c6b8c6e3a0c7d17c24e1a82bba2d59a6d74f7b52578"],"external_id":["cust-55810"],"client_ip_address":"198.51.100.23",
"client_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
"fbc":"fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click","fbp":"fb.1.1771574400000.1388405713"},
"custom_data":{"currency":"EUR","value":84.5,"order_id":"ORD-77120","content_type":"product",
"content_ids":["TEE-RED-M","CAP-01"],"contents":[{"id":"TEE-RED-M","quantity":1,"item_price":59.5},{"id":"CAP-01","quantity":1,"item_price":25}],"num_items":2}}],
"partner_agent":"example-sgtm-0.3"}`
