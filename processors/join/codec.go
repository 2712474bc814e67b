package join

import (
	"encoding/binary"
	"errors"
	"math"
)

// errCorrupt is returned when a stored value cannot be decoded.
var errCorrupt = errors.New("join: corrupt state value")

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
func appendVarint(b []byte, v int64) []byte   { return binary.AppendVarint(b, v) }
func appendU64(b []byte, v uint64) []byte     { return binary.LittleEndian.AppendUint64(b, v) }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// reader decodes what the append helpers wrote; the first error sticks and
// every later read returns zero values.
type reader struct {
	b    []byte
	err  error
	strs *interner // shared strings (shared); nil: none
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errCorrupt
	}
	r.b = nil
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) u64() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	return string(r.bytes(int(n)))
}

// stringAs reads a string like string, but returns old, without allocating,
// when the bytes equal it: decoding the same record again and again (a
// window's aggregate, once per event) then reuses the strings it decoded
// last time.
func (r *reader) stringAs(old string) string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	b := r.bytes(int(n))
	if string(b) == old {
		return old
	}
	return string(b)
}

// shared reads a string like string, but through r.strs when set: the
// findings of stored sides repeat a small set of codes, paths, detectors
// and messages, decoded again each time a group is read back.
func (r *reader) shared() string {
	if r.strs == nil {
		return r.string()
	}
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	return r.strs.intern(r.bytes(int(n)))
}

// interner hands out one copy of each string it has seen, up to
// maxInterned strings; it belongs to one Processor (no locks).
type interner struct {
	m map[string]string
}

const maxInterned = 4096

func (in *interner) intern(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < maxInterned {
		if in.m == nil {
			in.m = map[string]string{}
		}
		in.m[s] = s
	}
	return s
}

// interned reads a string like string, but returns a shared copy, without
// allocating, when it is one of the common event names or action sources:
// every stored side decodes its event name and action source once more
// when the group is read back.
func (r *reader) interned() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	b := r.bytes(int(n))
	if s, ok := internTable[string(b)]; ok {
		return s
	}
	return string(b)
}

// internTable is read-only after init, so safe for concurrent use.
var internTable = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		// Meta standard events
		"AddPaymentInfo", "AddToCart", "AddToWishlist", "CompleteRegistration", "Contact", "CustomizeProduct",
		"Donate", "FindLocation", "InitiateCheckout", "Lead", "PageView", "Purchase", "Schedule", "Search",
		"StartTrial", "SubmitApplication", "Subscribe", "ViewContent",
		// GA4 recommended events
		"add_payment_info", "add_shipping_info", "add_to_cart", "add_to_wishlist", "begin_checkout",
		"generate_lead", "login", "page_view", "purchase", "refund", "remove_from_cart", "search",
		"select_item", "select_promotion", "sign_up", "view_cart", "view_item", "view_item_list",
		"view_promotion", "close_convert_lead", "qualify_lead", "working_lead",
		// Meta action sources
		"email", "website", "app", "phone_call", "chat", "physical_store", "system_generated",
		"business_messaging", "other",
	} {
		m[s] = s
	}
	return m
}()

// count reads a length that must fit in what is left (each element takes at
// least one byte), so a corrupt value cannot make us allocate a huge slice.
func (r *reader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *reader) f64() float64 { return math.Float64frombits(r.u64()) }
