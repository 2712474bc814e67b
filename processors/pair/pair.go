package pair

import (
	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/hashing/userdata"
	"github.com/sstaudit/sstaudit/schemas"
)

// Finding codes of this package.
const (
	CodeCrossSideMismatch  = "HASH_CROSS_SIDE_MISMATCH"
	CodeDouble             = "HASH_DOUBLE"
	CodeNotNormalized      = "HASH_NOT_NORMALIZED"
	CodeFBPMismatch        = "MATCH_FBP_MISMATCH"
	CodeExternalIDMismatch = "MATCH_EXTERNAL_ID_MISMATCH"
	CodeClickIDDropped     = "CLICKID_DROPPED"
	CodeFBCLIDModified     = "CLICKID_FBCLID_MODIFIED"
	CodeConsentMismatch    = "CONSENT_MISMATCH"
)

// Detector is the detector name put in findings.
const Detector = "pair"

// Severities; doc.go explains them.
const (
	SevCrossSideMismatch  = schemas.SeverityFail
	SevDouble             = schemas.SeverityFail
	SevNotNormalized      = schemas.SeverityFail
	SevFBPMismatch        = schemas.SeverityFail
	SevExternalIDMismatch = schemas.SeverityFail
	SevClickIDDropped     = schemas.SeverityFail
	SevFBCLIDModified     = schemas.SeverityFail
	SevConsentMismatch    = schemas.SeverityFail
)

// Check compares the browser's and the server's Snapshot of one join group
// and appends its findings to out. Either may be nil (an orphan): then only
// the per-side click-id checks run. It is pure, does not allocate beyond out's
// growth, and findings carry no value or fingerprint (digests only were
// compared). A nil cfg means NewDefaultConfig().
func Check(client, server *processors.Snapshot, cfg *Config, out []schemas.Finding) []schemas.Finding {
	if cfg == nil {
		cfg = defaultConfig
	}
	if client != nil {
		out = fbclidOneSide(client, schemas.FindingClient, out)
	}
	if server != nil {
		out = fbclidOneSide(server, schemas.FindingServer, out)
	}
	if client == nil || server == nil {
		return out
	}
	google := isGoogle(client, server)
	out = hashes(client, server, google, out)
	out = ids(client, server, google, out)
	out = clickIDs(client, server, google, out)
	out = consent(client, server, cfg, google, out)
	return out
}

func isGoogle(client, server *processors.Snapshot) bool {
	switch server.Format {
	case schemas.FormatGA4MP, schemas.FormatSGTM:
		return true
	case schemas.FormatMetaCAPI:
		return false
	}
	return client.Format == schemas.FormatGA4Gtag
}

func finding(code string, sev schemas.Severity, side schemas.FindingSide, path, msg string) schemas.Finding {
	return schemas.Finding{Code: code, Severity: sev, Side: side, Path: path, Detector: Detector, Message: msg}
}

// keyPath is the server-side path of a user_data key.
func keyPath(k uint8, google bool) string {
	if int(k) >= len(processors.MatchKeyNames) {
		return "user_data"
	}
	if google && userdata.GoogleFieldName(userdata.Field(k)) != "" {
		return userDataPaths[1][k]
	}
	return userDataPaths[0][k]
}

// userDataPaths are the paths per key, built once so findings do not
// concatenate: [0] Meta, [1] Google.
var userDataPaths = func() (p [2][]string) {
	for i, n := range processors.MatchKeyNames {
		p[0] = append(p[0], "user_data."+n)
		g := userdata.GoogleFieldName(userdata.Field(i))
		if g == "" {
			g = n
		}
		p[1] = append(p[1], "user_data."+g)
	}
	return p
}()

// verdict of one key, in order of precedence.
const (
	vNone = iota
	vMismatch
	vNotNormalized
	vClientDouble
	vServerDouble
	vMatch
)

func hashes(client, server *processors.Snapshot, google bool, out []schemas.Finding) []schemas.Finding {
	var done uint32
	judge := func(k uint8) int {
		v, comparable := vNone, false
		for i := range server.Hashes {
			s := &server.Hashes[i]
			if s.Key != k || s.Double == 0 {
				continue
			}
			for j := range client.Hashes {
				c := &client.Hashes[j]
				if c.Key != k || c.Double == 0 {
					continue
				}
				comparable = true
				switch {
				case s.Value == c.Value:
					v = max(v, vMatch)
				case s.Value == c.Double:
					v = max(v, vServerDouble)
				case c.Value == s.Double:
					v = max(v, vClientDouble)
				}
			}
			for j := range client.Plain {
				p := &client.Plain[j]
				if p.Key != k {
					continue
				}
				switch {
				case p.Norm != 0 && s.Value == p.Norm:
					v = max(v, vMatch)
				case p.Double != 0 && s.Value == p.Double:
					v = max(v, vServerDouble)
				case s.Value == p.Wrong[0] || s.Value == p.Wrong[1] || s.Value == p.Wrong[2]:
					v = max(v, vNotNormalized)
				}
			}
		}
		// the browser's hash against the server's plaintext (sGTM inbound)
		for j := range client.Hashes {
			c := &client.Hashes[j]
			if c.Key != k || c.Double == 0 {
				continue
			}
			for i := range server.Plain {
				p := &server.Plain[i]
				if p.Key != k {
					continue
				}
				switch {
				case p.Norm != 0 && c.Value == p.Norm:
					v = max(v, vMatch)
				case p.Double != 0 && c.Value == p.Double:
					v = max(v, vClientDouble)
				case c.Value == p.Wrong[0] || c.Value == p.Wrong[1] || c.Value == p.Wrong[2]:
					v = max(v, vNotNormalized)
				}
			}
		}
		if v == vNone && comparable {
			v = vMismatch
		}
		return v
	}
	visit := func(k uint8) {
		if k >= 32 || done&(1<<k) != 0 {
			return
		}
		done |= 1 << k
		path := keyPath(k, google)
		switch judge(k) {
		case vMismatch:
			out = append(out, finding(CodeCrossSideMismatch, SevCrossSideMismatch, schemas.FindingPair, path,
				"browser and server send different SHA-256 hashes for this key"))
		case vNotNormalized:
			out = append(out, finding(CodeNotNormalized, SevNotNormalized, schemas.FindingPair, path,
				"one side's hash is the hash of a wrong form of the other side's plaintext (not normalised, or the other platform's normalisation)"))
		case vClientDouble:
			out = append(out, finding(CodeDouble, SevDouble, schemas.FindingPair, path,
				"the browser's hash is the SHA-256 of the server's hash: hashed twice in the browser"))
		case vServerDouble:
			out = append(out, finding(CodeDouble, SevDouble, schemas.FindingPair, path,
				"the server's hash is the SHA-256 of the browser's hash: hashed twice on the way"))
		}
	}
	for i := range server.Hashes {
		visit(server.Hashes[i].Key)
	}
	for i := range client.Hashes {
		if len(server.Plain) > 0 {
			visit(client.Hashes[i].Key)
		}
	}
	return out
}

func ids(client, server *processors.Snapshot, google bool, out []schemas.Finding) []schemas.Finding {
	if client.FBP != 0 && server.FBP != 0 && client.FBP != server.FBP {
		path := "fbp"
		if !google {
			path = "user_data.fbp"
		}
		out = append(out, finding(CodeFBPMismatch, SevFBPMismatch, schemas.FindingPair, path,
			"browser and server send different fbp values"))
	}
	if client.ExternalID != 0 && server.ExternalID != 0 && client.ExternalID != server.ExternalID {
		out = append(out, finding(CodeExternalIDMismatch, SevExternalIDMismatch, schemas.FindingPair, "user_data.external_id",
			"browser and server send different external_id values (or one side hashes it)"))
	}
	return out
}

func clickIDs(client, server *processors.Snapshot, google bool, out []schemas.Finding) []schemas.Finding {
	const meta = processors.ClickFBCLID | processors.ClickFBC
	fbcPath := "fbc"
	if !google {
		fbcPath = "user_data.fbc"
	}
	if client.ClickIDs&meta != 0 && server.ClickIDs&meta == 0 {
		out = append(out, finding(CodeClickIDDropped, SevClickIDDropped, schemas.FindingPair, fbcPath,
			"the browser had a Meta click id (fbclid or fbc); the server sent neither"))
	}
	for _, g := range [...]struct {
		bit  processors.ClickIDSet
		path string
		msg  string
	}{
		{processors.ClickGCLID, "gclid", "the browser had a gclid; the server lost it"},
		{processors.ClickGBRAID, "gbraid", "the browser had a gbraid; the server lost it"},
		{processors.ClickWBRAID, "wbraid", "the browser had a wbraid; the server lost it"},
	} {
		if client.ClickIDs&g.bit != 0 && server.ClickIDs&g.bit == 0 {
			out = append(out, finding(CodeClickIDDropped, SevClickIDDropped, schemas.FindingPair, g.path, g.msg))
		}
	}
	// across: the server's fbc must carry the browser's fbclid
	if s := server.FBCClickID; s != 0 {
		c := client.FBCClickID
		if c == 0 {
			c = client.FBCLID
		}
		if c != 0 && c != s {
			out = append(out, finding(CodeFBCLIDModified, SevFBCLIDModified, schemas.FindingPair, fbcPath,
				"the server's fbc carries another fbclid than the browser's (modified, re-cased or stale)"))
		}
	}
	return out
}

// fbclidOneSide: the page URL's fbclid must equal fbc's fbclid byte for byte.
func fbclidOneSide(s *processors.Snapshot, side schemas.FindingSide, out []schemas.Finding) []schemas.Finding {
	if s.FBCLID == 0 || s.FBCClickID == 0 || s.FBCLID == s.FBCClickID {
		return out
	}
	path := "fbc"
	if s.Format == schemas.FormatMetaCAPI {
		path = "user_data.fbc"
	}
	return append(out, finding(CodeFBCLIDModified, SevFBCLIDModified, side, path,
		"fbc carries another fbclid than the page URL (modified, re-cased, truncated or stale)"))
}

func consent(client, server *processors.Snapshot, cfg *Config, google bool, out []schemas.Finding) []schemas.Finding {
	const userDenial = processors.ConsentAdUserDataDenied | processors.ConsentTCFDenied
	if client.Consent&userDenial != 0 && server.Consent&userDenial == 0 {
		if keys := server.MatchKeys & cfg.UserDataKeys; keys != 0 {
			out = append(out, finding(CodeConsentMismatch, SevConsentMismatch, schemas.FindingPair, firstKeyPath(keys, google),
				"the browser denied ad_user_data (or the TCF purposes); the server still sent user data match keys"))
		}
	}
	if cfg.AdStorageKeys != 0 && client.Consent&processors.ConsentAdStorageDenied != 0 &&
		server.Consent&processors.ConsentAdStorageDenied == 0 {
		const gIDs = processors.ClickGCLID | processors.ClickGBRAID | processors.ClickWBRAID
		keys := server.MatchKeys & cfg.AdStorageKeys
		if keys != 0 || server.ClickIDs&gIDs != 0 {
			path := "gclid"
			if keys != 0 {
				path = firstKeyPath(keys, false)
			}
			out = append(out, finding(CodeConsentMismatch, SevConsentMismatch, schemas.FindingPair, path,
				"the browser denied ad_storage; the server still sent ad cookie ids"))
		}
	}
	return out
}

func firstKeyPath(keys processors.MatchKey, google bool) string {
	for i := range processors.MatchKeyNames {
		if keys&(1<<uint(i)) != 0 {
			if i == 15 || i == 16 { // client_id, user_id are top-level in GA4
				return processors.MatchKeyNames[i]
			}
			return keyPath(uint8(i), google)
		}
	}
	return "user_data"
}
