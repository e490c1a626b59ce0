package amqp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	_ "unsafe" // go:linkname

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// amqp091ReadTable is amqp091-go's own field-table reader (read.go), the
// oracle the frame filter's checker is compared with. The link breaks the
// build when amqp091-go renames it: re-check checkHeaders then.
//
//go:linkname amqp091ReadTable github.com/rabbitmq/amqp091-go.readTable
func amqp091ReadTable(r io.Reader) (amqp091.Table, error)

// Builders of AMQP field tables, octet by octet.

func u32(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

func longstr(b []byte) []byte { return append(u32(len(b)), b...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// entry is one table entry: name, type octet, encoded value.
func entry(name string, typ byte, value []byte) []byte {
	return cat([]byte{byte(len(name))}, []byte(name), []byte{typ}, value)
}

func table(entries ...[]byte) []byte { return longstr(cat(entries...)) }

// array is a field array value ('A' not included).
func array(fields ...[]byte) []byte { return longstr(cat(fields...)) }

// manyEntries is a table of n entries h0..h<n-1> (true booleans), distinct
// names unless distinct < n: then the names repeat.
func manyEntries(n, distinct int) []byte {
	var b []byte
	for i := range n {
		b = append(b, entry(fmt.Sprint("h", i%distinct), 't', []byte{1})...)
	}
	return longstr(b)
}

// nested is a header table with a table nested depth levels below it.
func nested(depth int) []byte {
	t := table(entry("leaf", 'V', nil))
	for range depth {
		t = table(entry("n", 'F', t))
	}
	return t
}

// nestedArrays is a header table holding arrays nested depth levels deep.
func nestedArrays(depth int) []byte {
	a := array([]byte{'V'})
	for range depth - 1 {
		a = array(append([]byte{'A'}, a...))
	}
	return table(entry("a", 'A', a))
}

func manyElements(n int) []byte {
	var b []byte
	for range n {
		b = append(b, 'V')
	}
	return table(entry("a", 'A', longstr(b)))
}

// tableCases are header tables (and what follows them in a frame) with
// whether amqp091-go v1.16.0 decodes them.
var tableCases = []struct {
	name string
	b    []byte
	ok   bool
}{
	{"empty", table(), true},
	{"scalars", table(
		entry("t", 't', []byte{1}), entry("B", 'B', []byte{2}), entry("b", 'b', []byte{3}),
		entry("s", 's', []byte{0, 4}), entry("u", 'u', []byte{0, 5}), entry("I", 'I', u32(6)),
		entry("i", 'i', u32(7)), entry("f", 'f', u32(8)), entry("l", 'l', make([]byte, 8)),
		entry("d", 'd', make([]byte, 8)), entry("T", 'T', make([]byte, 8)), entry("D", 'D', []byte{2, 0, 0, 0, 9}),
		entry("S", 'S', longstr([]byte("text"))), entry("x", 'x', longstr([]byte{0, 1})), entry("V", 'V', nil),
		entry("A", 'A', array([]byte{'t', 1}, []byte{'S', 0, 0, 0, 0})), entry("F", 'F', table(entry("k", 'V', nil)))), true},
	{"8192 entries", manyEntries(8192, 8192), true},
	{"8193 entries", manyEntries(8193, 8193), false},
	{"10000 entries", manyEntries(10000, 10000), false},
	{"8193 entries, 8192 names, the repeat last", manyEntries(8193, 8192), false},
	{"8193 entries, 8192 names, the repeat first", longstr(cat(entry("h0", 't', []byte{0}), manyEntries(8192, 8192)[4:])), true},
	{"10000 entries, 100 names", manyEntries(10000, 100), true},
	{"8192 names then a repeat", longstr(cat(manyEntries(8192, 8192)[4:], entry("h0", 'V', nil))), false},
	{"nested table 8193 names", table(entry("n", 'F', manyEntries(8193, 8193))), false},
	{"array of 8192", manyElements(8192), true},
	{"array of 8193", manyElements(8193), false},
	{"tables nested 32", nested(32), true},
	{"tables nested 33", nested(33), false},
	{"tables nested 40", nested(40), false},
	{"arrays nested 32", nestedArrays(32), true},
	{"arrays nested 33", nestedArrays(33), false},
	{"unknown type", table(entry("z", 'Z', nil)), false},
	{"unknown type in array", table(entry("a", 'A', array([]byte{'Z'}))), false},
	{"negative byte array", table(entry("x", 'x', []byte{0xff, 0xff, 0xff, 0xff})), false},
	{"string over MaxInt32", table(entry("S", 'S', []byte{0x80, 0, 0, 0})), false},
	{"array length over MaxInt32", table(entry("A", 'A', []byte{0x80, 0, 0, 0})), false},
	{"table length over MaxInt32", []byte{0x80, 0, 0, 0}, false},
	{"table cut short", u32(10), false},
	{"no table length", []byte{0, 0}, false},
	{"nothing", nil, false},
	{"value cut short", table(entry("I", 'I', []byte{0, 0})), false},
	{"value missing", table(entry("I", 'I', nil)), false},
	{"key cut short", table([]byte{5, 'a'}), false},
	// amqp091-go's quirks: an array ends at the first read that finds no
	// data, wherever it happens.
	{"array: value missing at its end", table(entry("a", 'A', array([]byte{'t', 1}, []byte{'I'}))), true},
	{"array: string missing at its end", table(entry("a", 'A', array([]byte{'S', 0, 0, 0, 5}))), true},
	{"array: value cut short", table(entry("a", 'A', array([]byte{'I', 0, 0}))), false},
	{"array: decimal without its value", table(entry("a", 'A', array([]byte{'D', 2}))), true},
	{"array: longer than its table", longstr(cat([]byte{1, 'a', 'A'}, u32(100), []byte{'t', 1})), true},
	{"array: nested table ends early", table(entry("a", 'A', array(cat([]byte{'F'}, longstr([]byte{1, 'k', 'I'})), []byte{'Z'}))), false},
	{"array: nested table ends early, then entries", longstr(cat([]byte{1, 'a', 'A'}, u32(9), []byte{'F'}, longstr([]byte{1, 'k'}), []byte{'V'}, []byte{1, 'b', 'V'})), false},
	{"trailing octets", append(table(entry("k", 'V', nil)), 1, 2, 3), true},
}

// clientDecodes reports whether amqp091-go reads b as a table, and how many
// octets it reads.
func clientDecodes(b []byte) (bool, int) {
	r := bytes.NewReader(b)
	_, err := amqp091ReadTable(r)
	return err == nil, len(b) - r.Len()
}

// The checker agrees with amqp091-go's reader on every case, and ends
// where it does.
func TestCheckHeadersMatchesClient(t *testing.T) {
	for _, tc := range tableCases {
		t.Run(tc.name, func(t *testing.T) {
			ok, n := clientDecodes(tc.b)
			if ok != tc.ok {
				t.Fatalf("amqp091-go decodes: %v, the case says %v (has amqp091-go changed?)", ok, tc.ok)
			}
			end, err := checkHeaders(tc.b, 0)
			if (err == nil) != ok {
				t.Fatalf("checkHeaders = %d, %v; amqp091-go decodes: %v", end, err, ok)
			}
			if ok && end != n {
				t.Errorf("checkHeaders ends at %d, amqp091-go at %d", end, n)
			}
			if err != nil {
				t.Log(err)
			}
		})
	}
}

// Long strings are read in 64 KiB chunks: one cut short at a chunk boundary
// reads as "no data" (the end of an enclosing array), elsewhere as an error.
func TestCheckHeadersChunkBoundary(t *testing.T) {
	for _, have := range []int{0, 1, clientReadChunk - 1, clientReadChunk, clientReadChunk + 1, 2 * clientReadChunk} {
		inArray := table(entry("a", 'A', cat(u32(5+have), []byte{'S'}, u32(3*clientReadChunk), make([]byte, have))))
		top := cat([]byte{0, 0, 0, 0}, []byte{1, 'S', 'S'}, u32(3*clientReadChunk), make([]byte, have))
		binary.BigEndian.PutUint32(top, uint32(len(top)-4))
		for name, b := range map[string][]byte{"in an array": inArray, "top": top} {
			ok, n := clientDecodes(b)
			end, err := checkHeaders(b, 0)
			if (err == nil) != ok || ok && end != n {
				t.Errorf("%d octets of a string %s: checkHeaders = %d, %v; amqp091-go: %v, %d", have, name, end, err, ok, n)
			}
		}
	}
}

// The reasons name the fault and, for the entry limit, the count.
func TestCheckHeadersReasons(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{manyEntries(10000, 10000), "header table: 10000 entries, the client decodes at most 8192"},
		{manyEntries(8193, 8193), "header table: 8193 entries, the client decodes at most 8192"},
		{manyEntries(9000, 8193), "header table: 9000 entries with 8193 distinct names, the client decodes at most 8192 names"},
		{longstr(cat(manyEntries(8200, 8200)[4:], entry("z", 'Z', nil))), "header table: more than 8192 entries (the client decodes at most 8192 names per table), then entry \"z\": unknown field type 'Z'"},
		{table(entry("ok", 'V', nil), entry("bad", 'Z', nil)), `header table: entry "bad": unknown field type 'Z'`},
		{nested(40), `header table: entry "n": tables and arrays nested deeper than 32`},
		{manyElements(9000), `header table: entry "a": an array of more than 8192 elements, the client decodes at most 8192`},
		{table(entry("n", 'F', manyEntries(8193, 8193))), `header table: entry "n": a table of more than 8192 names, the client decodes at most 8192`},
		{u32(10), "header table: cut short"},
		{table(entry(strings.Repeat("k", 100), 'Z', nil)), `header table: entry "` + strings.Repeat("k", 64) + `...": unknown field type 'Z'`},
	} {
		_, err := checkHeaders(tc.b, 0)
		if err == nil || err.Error() != tc.want {
			t.Errorf("checkHeaders = %v, want %q", err, tc.want)
		}
	}
}

// Content-header frames, built and decoded.

const testMarker = "x-distributer-undecodable-0123456789abcdef"

// headerPayload is a content-header payload: class 60, weight 0, body size,
// flags, then the properties given in wire order.
func headerPayload(bodySize uint64, flags uint16, props ...[]byte) []byte {
	b := []byte{0, 60, 0, 0}
	b = binary.BigEndian.AppendUint64(b, bodySize)
	b = binary.BigEndian.AppendUint16(b, flags)
	return append(b, cat(props...)...)
}

func shortstr(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func frameOf(typ byte, channel uint16, payload []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint16(b, channel)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	return append(append(b, payload...), frameEnd)
}

// props are the properties amqp091-go reads from a content header.
type props struct {
	bodySize                                      uint64
	flags                                         uint16
	contentType, contentEncoding                  string
	headers                                       amqp091.Table
	deliveryMode, priority                        uint8
	correlationID, replyTo, expiration, messageID string
	timestamp                                     int64
	typ, userID, appID, reserved                  string
}

// clientReadsHeader decodes a content-header payload as amqp091-go's
// parseHeaderFrame does (its readTable for the header table).
func clientReadsHeader(payload []byte) (props, error) {
	var p props
	r := bytes.NewReader(payload)
	var fixed [14]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return p, err
	}
	p.bodySize = binary.BigEndian.Uint64(fixed[4:12])
	p.flags = binary.BigEndian.Uint16(fixed[12:14])
	str := func(dst *string) error {
		n, err := r.ReadByte()
		if err != nil {
			return err
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		*dst = string(b)
		return nil
	}
	octet := func(dst *uint8) error {
		b, err := r.ReadByte()
		*dst = b
		return err
	}
	steps := []struct {
		flag uint16
		read func() error
	}{
		{0x8000, func() error { return str(&p.contentType) }},
		{0x4000, func() error { return str(&p.contentEncoding) }},
		{0x2000, func() error {
			var err error
			p.headers, err = amqp091ReadTable(r)
			return err
		}},
		{0x1000, func() error { return octet(&p.deliveryMode) }},
		{0x0800, func() error { return octet(&p.priority) }},
		{0x0400, func() error { return str(&p.correlationID) }},
		{0x0200, func() error { return str(&p.replyTo) }},
		{0x0100, func() error { return str(&p.expiration) }},
		{0x0080, func() error { return str(&p.messageID) }},
		{0x0040, func() error { return binary.Read(r, binary.BigEndian, &p.timestamp) }},
		{0x0020, func() error { return str(&p.typ) }},
		{0x0010, func() error { return str(&p.userID) }},
		{0x0008, func() error { return str(&p.appID) }},
		{0x0004, func() error { return str(&p.reserved) }},
	}
	for _, s := range steps {
		if p.flags&s.flag != 0 {
			if err := s.read(); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

const allProps = 0xFFFC

// fullHeader is a content header with every property, the given table.
func fullHeader(tbl []byte) []byte {
	return headerPayload(42, allProps, shortstr("application/json"), shortstr("gzip"), tbl, []byte{2}, []byte{7},
		shortstr("corr"), shortstr("reply"), shortstr("60000"), shortstr("msg-1"), make([]byte, 8),
		shortstr("type"), shortstr("guest"), shortstr("app"), shortstr("cluster"))
}

// A header the client cannot decode comes out of the filter with the
// marker as its only header, every other property and the body size kept;
// one it can decode comes out unchanged.
func TestRewriteHeaderFrame(t *testing.T) {
	for _, tc := range tableCases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.b) < 4 || int64(binary.BigEndian.Uint32(tc.b))+4 != int64(len(tc.b)) {
				t.Skip("not one whole table: see TestRewriteCutShort and the fuzz target")
			}
			frame := frameOf(frameHeader, 1, fullHeader(tc.b))
			nf, changed := rewriteHeaderFrame(frame, testMarker, "")
			if changed == tc.ok {
				t.Fatalf("rewritten: %v, but amqp091-go decodes it: %v", changed, tc.ok)
			}
			if !changed {
				return
			}
			checkFrame(t, nf, 1)
			got, err := clientReadsHeader(nf[7 : len(nf)-1])
			if err != nil {
				t.Fatalf("amqp091-go cannot decode the rewritten header: %v", err)
			}
			want, _ := clientReadsHeader(fullHeader(table()))
			reason, _ := got.headers[testMarker].(string)
			if len(got.headers) != 1 || !strings.HasPrefix(reason, "header table: ") {
				t.Fatalf("headers %v, want only the marker", got.headers)
			}
			got.headers, want.headers = nil, nil
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("properties\n%+v, want\n%+v", got, want)
			}
			if len(nf) > max(len(frame), 4096) {
				t.Errorf("rewritten frame of %d octets, the original had %d", len(nf), len(frame))
			}
		})
	}
}

// checkFrame checks a frame's size field and frame end.
func checkFrame(t *testing.T, f []byte, channel uint16) {
	t.Helper()
	if len(f) < 8 || f[0] != frameHeader || binary.BigEndian.Uint16(f[1:3]) != channel ||
		int(binary.BigEndian.Uint32(f[3:7])) != len(f)-8 || f[len(f)-1] != frameEnd {
		t.Fatalf("malformed frame % x", f[:min(len(f), 16)])
	}
}

// Properties cut short (not a publisher's doing: the broker checks them,
// but the filter must not make things worse): what decodes is kept, the
// rest dropped, the marker says so.
func TestRewriteCutShort(t *testing.T) {
	full := fullHeader(table(entry("k", 'S', longstr([]byte("v")))))
	for cut := 14; cut < len(full); cut++ {
		p := full[:cut]
		frame := frameOf(frameHeader, 3, p)
		nf, changed := rewriteHeaderFrame(frame, testMarker, "")
		if !changed {
			t.Fatalf("cut at %d: not rewritten", cut)
		}
		checkFrame(t, nf, 3)
		got, err := clientReadsHeader(nf[7 : len(nf)-1])
		if err != nil {
			t.Fatalf("cut at %d: rewritten header does not decode: %v", cut, err)
		}
		if _, ok := got.headers[testMarker]; !ok || got.bodySize != 42 {
			t.Fatalf("cut at %d: %+v", cut, got)
		}
	}
	// Too short to hold the body size: passed through (amqp091-go reports it).
	if _, changed := rewriteHeaderFrame(frameOf(frameHeader, 1, full[:13]), testMarker, ""); changed {
		t.Error("a 13-octet header was rewritten")
	}
	// A header table cut short: the properties after it are unknown.
	p := headerPayload(5, 0x8000|0x2000|0x0080, shortstr("application/json"), u32(1000), []byte{1, 'k'})
	nf, changed := rewriteHeaderFrame(frameOf(frameHeader, 1, p), testMarker, "")
	got, err := clientReadsHeader(nf[7 : len(nf)-1])
	if !changed || err != nil || got.contentType != "application/json" || got.messageID != "" || got.headers[testMarker] != "header table: cut short" {
		t.Errorf("table cut short: %v, %+v, %v", changed, got, err)
	}
}

// readConn is a net.Conn that reads from r and has nothing else.
type readConn struct {
	net.Conn
	r io.Reader
}

func (c readConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// filterBytes runs in through a frame filter and reads it all with reads
// of at most chunk octets.
func filterBytes(t testing.TB, in []byte, chunk int) []byte {
	t.Helper()
	f := newFrameFilter(readConn{r: bytes.NewReader(in)}, testMarker)
	var out []byte
	buf := make([]byte, max(chunk, 1))
	for {
		n, err := f.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
	}
}

// tuneFrame is the broker's connection.tune proposing frameMax.
func tuneFrame(frameMax uint32) []byte {
	return frameOf(frameMethod, 0, cat([]byte{0, 10, 0, 30, 0x07, 0xff}, u32(int(frameMax)), []byte{0, 60}))
}

// A stream of frames goes through unchanged but for the content header the
// client cannot decode, whatever the read sizes.
func TestFrameFilterStream(t *testing.T) {
	body := bytes.Repeat([]byte("b"), 100000)
	poison := frameOf(frameHeader, 1, fullHeader(manyEntries(10000, 10000)))
	fixed, _ := rewriteHeaderFrame(poison, testMarker, "")
	good := frameOf(frameHeader, 1, fullHeader(table(entry("k", 'S', longstr([]byte("v"))))))
	method := frameOf(frameMethod, 1, []byte{0, 60, 0, 60, 1, 2, 3})
	heartbeat := frameOf(frameHeartbeat, 0, nil)
	bodyFrame := frameOf(frameBody, 1, body)
	tune := tuneFrame(0) // no limit of the broker's: the client's, 131072
	in := cat(tune, method, good, bodyFrame, heartbeat, method, poison, bodyFrame, method, good, bodyFrame)
	want := cat(tune, method, good, bodyFrame, heartbeat, method, fixed, bodyFrame, method, good, bodyFrame)
	for _, chunk := range []int{1, 7, 100, 4096, 1 << 20} {
		if got := filterBytes(t, in, chunk); !bytes.Equal(got, want) {
			t.Errorf("reads of %d: output differs (%d octets, want %d)", chunk, len(got), len(want))
		}
	}
	// Not frames: passed through as they are.
	wrongEnd := cat(tune, poison)
	wrongEnd[len(wrongEnd)-1] = 0xCD
	for _, junk := range [][]byte{
		[]byte("AMQP\x00\x00\x09\x01"), // the broker refusing our protocol version
		{0x41, 0, 0, 0, 0, 0, 1, 2, 3}, // unknown frame type
		{frameHeader, 0, 1, 0, 0},      // cut short in the frame header
		cat(tune, frameOf(frameHeader, 1, fullHeader(manyEntries(9000, 9000)))[:5000]), // cut short in a content header
		wrongEnd, // wrong frame end
	} {
		if got := filterBytes(t, junk, 3); !bytes.Equal(got, junk) {
			t.Errorf("% x: got % x", junk[:min(len(junk), 16)], got[:min(len(got), 16)])
		}
	}
}

// A content header larger than the client accepts (frame_max - 8, 4088
// before connection.tune) is rewritten, whatever its table; up to 1 MiB
// from the whole frame, beyond from its first octets (the properties after
// the table are lost). Frames within the limit are left alone.
func TestFrameFilterTooLarge(t *testing.T) {
	tbl := func(payloadSize int) []byte { // a decodable table making the payload that large
		p := fullHeader(table(entry("pad", 'S', longstr(nil))))
		pad := payloadSize - len(p)
		return table(entry("pad", 'S', longstr(make([]byte, pad))))
	}
	method := frameOf(frameMethod, 1, []byte{0, 60, 0, 60})
	bodyFrame := frameOf(frameBody, 1, []byte("{}"))
	for _, tc := range []struct {
		name      string
		tune      []byte
		size      int // of the content header's payload
		rewritten bool
		limit     int
	}{
		{"before tune, at the limit", nil, 4088, false, 4088},
		{"before tune, over", nil, 4089, true, 4088},
		{"broker's 8192, at the limit", tuneFrame(8192), 8184, false, 8184},
		{"broker's 8192, over", tuneFrame(8192), 8185, true, 8184},
		{"broker's 1000 (floor 4096)", tuneFrame(1000), 4089, true, 4088},
		{"broker's 0, client's 131072, at the limit", tuneFrame(0), 131064, false, 131064},
		{"broker's 0, over", tuneFrame(0), 131065, true, 131064},
		{"broker's 1 MiB, client's 131072", tuneFrame(1 << 20), 131065, true, 131064},
		{"over 1 MiB", tuneFrame(0), 3 << 20, true, 131064},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := frameOf(frameHeader, 1, fullHeader(tbl(tc.size)))
			if len(header) != tc.size+8 {
				t.Fatalf("test header of %d octets", len(header)-8)
			}
			in := cat(tc.tune, method, header, bodyFrame)
			out := filterBytes(t, in, 4096)
			if !bytes.HasPrefix(out, cat(tc.tune, method)) || !bytes.HasSuffix(out, bodyFrame) {
				t.Fatal("other frames changed")
			}
			got := out[len(tc.tune)+len(method) : len(out)-len(bodyFrame)]
			if !tc.rewritten {
				if !bytes.Equal(got, header) {
					t.Error("a header within the limit was changed")
				}
				return
			}
			checkFrame(t, got, 1)
			if len(got)-8 > 4088 {
				t.Errorf("rewritten to %d octets", len(got)-8)
			}
			p, err := clientReadsHeader(got[7 : len(got)-1])
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("content header of %d octets, the client accepts at most %d (the negotiated frame_max)", tc.size, tc.limit)
			if p.headers[testMarker] != want || len(p.headers) != 1 || p.bodySize != 42 || p.contentType != "application/json" || p.contentEncoding != "gzip" {
				t.Errorf("rewritten: %+v, want the reason %q", p, want)
			}
			if wantID := map[bool]string{true: "msg-1", false: ""}[tc.size <= maxHeaderFrame]; p.messageID != wantID {
				t.Errorf("message id %q, want %q", p.messageID, wantID)
			}
		})
	}
}

// Crashers of amqp091-go v1.16.0: header tables it refuses (the large
// ones, of many entries, are made by FuzzFrameFilter from a repeat count).
var crashers = [][]byte{
	manyElements(8193),
	nested(33),
	nestedArrays(33),
	table(entry("z", 'Z', nil)),
	table(entry("x", 'x', []byte{0xff, 0xff, 0xff, 0xff})),
	table(entry("S", 'S', []byte{0x80, 0, 0, 0})),
	table(entry("a", 'A', array(cat([]byte{'F'}, longstr([]byte{1, 'k', 'I'})), []byte{'Z'}))),
}

// FuzzFrameFilter: for any content-header payload, framed between other
// frames and read in any chunk size, the filter passes every other frame
// through unchanged, and the content header unchanged when amqp091-go
// decodes it, else rewritten so that it decodes, with the marker, the body
// size and the channel kept. Its checker agrees with amqp091-go's reader.
// (The broker's connection.tune comes first: the limit is the client's
// frame_max; a larger header is rewritten too.) The payload is also fed to
// the filter as a raw stream: it must not panic.
//
// The payload is head, then (when n > 0) a header table of n entries named
// name + a 2-octet counter with the field value, then tail: large tables
// from small inputs (Go's fuzzer is slow on large ones).
func FuzzFrameFilter(f *testing.F) {
	fixed := headerPayload(42, allProps)
	props := fullHeader(nil)[14:]
	pre, post := props[:len(shortstr("application/json"))+len(shortstr("gzip"))], props[len(shortstr("application/json"))+len(shortstr("gzip")):]
	head := cat(fixed, pre)
	for _, n := range []uint16{8192, 8193, 10000} {
		f.Add(head, []byte("h"), []byte{'t', 1}, n, post, uint16(7))
		f.Add(headerPayload(0, flagHeaders), []byte(""), []byte{'V'}, n, []byte(nil), uint16(4096))
	}
	for _, c := range crashers {
		f.Add(fullHeader(c), []byte(nil), []byte(nil), uint16(0), []byte(nil), uint16(7))
	}
	for _, tc := range tableCases {
		if len(tc.b) < 1024 {
			f.Add(headerPayload(3, flagHeaders|0x0080, tc.b, shortstr("id")), []byte(nil), []byte(nil), uint16(0), []byte(nil), uint16(64))
		}
	}
	f.Add(fullHeader(table())[:20], []byte(nil), []byte(nil), uint16(0), []byte(nil), uint16(2))
	// found by the fuzzer: no header table, a property after its place
	// kept, the next one cut short (the marker went after the kept one)
	f.Add([]byte("000000000000\x050\x0500000"), []byte(nil), []byte(nil), uint16(0), []byte(nil), uint16(59))
	f.Add([]byte("AMQP\x00\x00\x09\x01"), []byte(nil), []byte(nil), uint16(0), []byte(nil), uint16(1))
	f.Fuzz(func(t *testing.T, head, name, value []byte, n uint16, tail []byte, chunk uint16) {
		if len(name) > 253 || int(n)*(3+len(name)+len(value)) > 1<<19 {
			return
		}
		payload := head
		if n > 0 {
			var entries []byte
			for i := range n {
				entries = append(entries, byte(len(name)+2))
				entries = append(entries, name...)
				entries = binary.BigEndian.AppendUint16(entries, i)
				entries = append(entries, value...)
			}
			payload = cat(head, longstr(entries), tail)
		}
		// the checker against amqp091-go's reader, from each of the first
		// positions
		positions := 16
		if len(payload) > 4096 {
			positions = 1
		}
		for pos := 0; pos < min(len(payload), positions); pos++ {
			ok, n := clientDecodes(payload[pos:])
			end, err := checkHeaders(payload, pos)
			if (err == nil) != ok || ok && end != pos+n {
				t.Fatalf("at %d: checkHeaders = %d, %v; amqp091-go decodes: %v, %d octets", pos, end, err, ok, n)
			}
		}
		method := cat(tuneFrame(0), frameOf(frameMethod, 5, []byte{0, 60, 0, 60}))
		body := frameOf(frameBody, 5, []byte("{}"))
		header := frameOf(frameHeader, 5, payload)
		out := filterBytes(t, cat(method, header, body), int(chunk%9000)+1)
		if !bytes.HasPrefix(out, method) || !bytes.HasSuffix(out, body) {
			t.Fatal("the method or body frame was changed")
		}
		got := out[len(method) : len(out)-len(body)]
		_, decodeErr := clientReadsHeader(payload)
		switch {
		case (decodeErr == nil && len(payload) <= clientFrameMax-8) || len(payload) < 14:
			if !bytes.Equal(got, header) {
				t.Fatalf("a header amqp091-go decodes (or that cannot be mended) was changed: % x", got[:min(len(got), 64)])
			}
		default:
			checkFrame(t, got, 5)
			p, err := clientReadsHeader(got[7 : len(got)-1])
			if err != nil {
				t.Fatalf("rewritten header does not decode: %v", err)
			}
			if _, ok := p.headers[testMarker]; !ok || len(p.headers) != 1 || p.bodySize != binary.BigEndian.Uint64(payload[4:12]) {
				t.Fatalf("rewritten header: %+v", p)
			}
			if len(got) > max(len(header), 4096) {
				t.Fatalf("rewritten frame of %d octets from %d", len(got), len(header))
			}
		}
		// the payload as a raw stream
		raw := filterBytes(t, payload, int(chunk%100)+1)
		if len(raw) > len(payload)+4096 {
			t.Fatalf("%d octets out of %d", len(raw), len(payload))
		}
	})
}

// BenchmarkFrameFilter: the filter's cost per delivery (basic.deliver,
// a content header with 5 headers and the usual properties, a 300-octet
// body), read in the 4 KiB reads of amqp091-go's bufio.Reader, against the
// same stream read without the filter.
func BenchmarkFrameFilter(b *testing.B) {
	var hdrs []byte
	for i := range 5 {
		hdrs = append(hdrs, entry(fmt.Sprint("header-", i), 'S', longstr([]byte("some value")))...)
	}
	delivery := cat(
		frameOf(frameMethod, 1, cat([]byte{0, 60, 0, 60}, shortstr("distributer-1"), make([]byte, 9), shortstr("ex"), shortstr("raw.pose"))),
		frameOf(frameHeader, 1, headerPayload(300, 0x8000|0x2000|0x1000|0x0080|0x0040, shortstr("application/json"), longstr(hdrs), []byte{2}, shortstr("0123456789abcdef"), make([]byte, 8))),
		frameOf(frameBody, 1, bytes.Repeat([]byte("x"), 300)),
	)
	stream := bytes.Repeat(delivery, 1000)
	for _, filtered := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "filtered"}[filtered], func(b *testing.B) {
			buf := make([]byte, 4096)
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			for b.Loop() {
				var r io.Reader = bytes.NewReader(stream)
				if filtered {
					r = newFrameFilter(readConn{r: r}, testMarker)
				}
				for {
					if _, err := r.Read(buf); err != nil {
						break
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/delivery")
		})
	}
}
