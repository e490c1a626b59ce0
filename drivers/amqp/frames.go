package amqp

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
)

// The frame filter: what amqp091-go cannot decode never reaches it.
//
// amqp091-go v1.16.0 closes the whole connection (Exception (502) "invalid
// field or value inside of a frame") when it cannot decode the header table
// of a content-header frame: more than 8192 distinct names in one table (or
// more than 8192 elements in one array), tables and arrays nested deeper
// than 32, an unknown field type, a negative or truncated length; and
// ("frame size exceeds negotiated frame_max") when the content header is
// larger than frame_max. A publisher can send such a table (RabbitMQ
// forwards it), and every delivery of it would kill the consumer's
// connection again, forever; on a quorum queue the broker's delivery limit
// finally dead-letters it together with the valid deliveries in flight
// beside it.
//
// So every connection of the driver reads the broker through a frameFilter
// (see session.dial). It passes every frame through untouched, streaming
// (bodies are never buffered), except content-header frames whose
// properties amqp091-go could not decode: those it rewrites, replacing the
// header table by a one-entry table {marker: why}, so the delivery arrives
// decodable and the subscription dead-letters it without calling the
// handler (see subscription.handle). The marker's name holds a random token
// drawn when the driver opens (conn.marker): a publisher cannot forge it.
//
// checkHeaders mirrors amqp091-go's reader (read.go: readTableDepth,
// readArrayDepth, readFieldDepth, readBytes) without building values, down to
// its quirks (an array ends quietly at the first read that finds no data,
// even inside a nested table); frames_test.go checks it against amqp091-go's
// own readTable. Re-check it when upgrading amqp091-go.

// AMQP 0-9-1 frame types and the frame-end octet.
const (
	frameMethod    = 1
	frameHeader    = 2
	frameBody      = 3
	frameHeartbeat = 8
	frameEnd       = 0xCE
)

// Limits of amqp091-go v1.16.0's reader (read.go).
const (
	clientMaxEntries = 8192      // maxContainerElements: names per table, elements per array
	clientMaxDepth   = 32        // maxFieldDepth: nesting of tables and arrays
	clientReadChunk  = 64 * 1024 // readAllocChunk: readBytes reads in chunks of this size
)

// Frame sizes. amqp091-go refuses a frame whose payload is larger than the
// negotiated frame_max - 8, and 4096 - 8 until connection.tune. The driver
// proposes clientFrameMax (amqp091-go's default); the broker may lower it.
// A content header can outgrow it on its way: RabbitMQ adds
// x-delivery-count to a message returned to a quorum queue, whatever its
// size, so a header published at the limit cannot be delivered again.
const (
	clientFrameMax = 131072
	frameMinSize   = 4096
)

// maxHeaderFrame bounds the content-header frames the filter reads whole; a
// larger one (larger than the client accepts, too) is rewritten from its
// first octets and the rest is discarded as it comes.
const maxHeaderFrame = 1 << 20

// The basic class's content-header properties, in wire order: flag and
// size (octets; propShortstr, propTable).
const (
	propShortstr = -1
	propTable    = -2
	flagHeaders  = 0x2000
)

var basicProperties = [...]struct {
	flag uint16
	size int
}{
	{0x8000, propShortstr}, // content-type
	{0x4000, propShortstr}, // content-encoding
	{flagHeaders, propTable},
	{0x1000, 1},            // delivery-mode
	{0x0800, 1},            // priority
	{0x0400, propShortstr}, // correlation-id
	{0x0200, propShortstr}, // reply-to
	{0x0100, propShortstr}, // expiration
	{0x0080, propShortstr}, // message-id
	{0x0040, 8},            // timestamp
	{0x0020, propShortstr}, // type
	{0x0010, propShortstr}, // user-id
	{0x0008, propShortstr}, // app-id
	{0x0004, propShortstr}, // reserved (cluster-id)
}

// frameFilter is the net.Conn amqp091-go reads the broker from. Writes and
// everything else go straight to the connection.
type frameFilter struct {
	net.Conn
	r      *bufio.Reader
	marker string // the marker header's name

	out    []byte // rewritten or inspected bytes to hand out before reading on
	buf    []byte // reused for content-header frames
	stream int64  // bytes of the current frame still to pass through as they come
	raw    bool   // lost track of the frames: pass everything through
	err    error  // the first read error, returned ever after (amqp091-go stops at it)
	limit  int64  // the largest frame payload amqp091-go accepts now
}

func newFrameFilter(c net.Conn, marker string) *frameFilter {
	return &frameFilter{Conn: c, r: bufio.NewReaderSize(c, 32*1024), marker: marker, limit: frameMinSize - 8}
}

// Read hands out the broker's bytes, content-header frames rewritten when
// amqp091-go could not decode them.
func (f *frameFilter) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		if f.raw || f.stream > 0 {
			if !f.raw && int64(len(p)) > f.stream {
				p = p[:f.stream]
			}
			n, err := f.r.Read(p)
			f.stream -= int64(n)
			if err != nil {
				f.err = err
			}
			return n, err
		}
		f.err = f.next()
	}
	n := copy(p, f.out)
	f.out = f.out[n:]
	return n, nil
}

// next starts the next frame: content-header frames are read whole into
// f.out (rewritten if need be), others are streamed. Anything that is not a
// frame (the broker's protocol header refusing our version, garbage) turns
// the filter into a plain pipe: amqp091-go reports it.
func (f *frameFilter) next() error {
	hdr, err := f.r.Peek(7)
	if err != nil {
		if len(hdr) > 0 {
			f.raw = true // a truncated frame: amqp091-go gets what there is, then the error
			return nil
		}
		return err
	}
	size := int64(binary.BigEndian.Uint32(hdr[3:7]))
	switch hdr[0] {
	case frameMethod:
		if hdr[1] == 0 && hdr[2] == 0 && size >= 10 {
			f.tune()
		}
		f.stream = 7 + size + 1
		return nil
	case frameBody, frameHeartbeat:
		f.stream = 7 + size + 1
		return nil
	case frameHeader:
	default:
		f.raw = true
		return nil
	}
	var tooLarge string
	if size > f.limit {
		tooLarge = fmt.Sprintf("content header of %d octets, the client accepts at most %d (the negotiated frame_max)", size, f.limit)
		if size > maxHeaderFrame {
			return f.discardLarge(size, tooLarge)
		}
	}
	n := int(7 + size + 1)
	if cap(f.buf) < n {
		f.buf = make([]byte, n)
	}
	frame := f.buf[:n]
	if k, err := io.ReadFull(f.r, frame); err != nil {
		f.out, f.raw = frame[:k], true // hand out what came, then the error
		return nil
	}
	if frame[n-1] != frameEnd {
		f.out, f.raw = frame, true // out of step: amqp091-go reports it
		return nil
	}
	if nf, ok := rewriteHeaderFrame(frame, f.marker, tooLarge); ok {
		f.out = nf
	} else {
		f.out = frame
	}
	if cap(f.buf) > 64*1024 {
		f.buf = nil // do not keep a large buffer for one large header
	}
	return nil
}

// tune reads the frame_max of the broker's connection.tune, if the channel-0
// method frame starting now is one, and computes the limit as amqp091-go
// does (the smaller of both proposals, 0 meaning none, at least 4096).
func (f *frameFilter) tune() {
	b, err := f.r.Peek(7 + 10)
	if err != nil || binary.BigEndian.Uint16(b[7:9]) != 10 || binary.BigEndian.Uint16(b[9:11]) != 30 {
		return
	}
	fm := int64(clientFrameMax)
	if server := int64(binary.BigEndian.Uint32(b[13:17])); server != 0 {
		fm = min(fm, server)
	}
	f.limit = max(fm, frameMinSize) - 8
}

// discardLarge replaces a content-header frame too large to read whole: it
// is rewritten from its first octets (the fixed part, content type and
// encoding; the properties after the header table are lost), and the rest
// is read and dropped as it comes.
func (f *frameFilter) discardLarge(size int64, why string) error {
	head, err := f.r.Peek(7 + 14 + 2*256)
	if err != nil {
		return err // size is over 1 MiB: those octets are due
	}
	frame := append(append([]byte(nil), head...), frameEnd)
	nf, _ := rewriteHeaderFrame(frame, f.marker, why)
	if _, err := f.r.Discard(int(7 + size)); err != nil {
		return err
	}
	end, err := f.r.ReadByte()
	if err != nil {
		return err
	}
	f.out = nf
	if end != frameEnd {
		f.raw = true // out of step: amqp091-go will report it
	}
	return nil
}

// ConnectionState is the TLS connection's, for amqp091-go's
// Connection.ConnectionState; zero over plain TCP.
func (f *frameFilter) ConnectionState() tls.ConnectionState {
	if c, ok := f.Conn.(interface{ ConnectionState() tls.ConnectionState }); ok {
		return c.ConnectionState()
	}
	return tls.ConnectionState{}
}

// rewriteHeaderFrame returns a content-header frame (7-octet header, payload,
// frame end) that amqp091-go can decode in place of frame, when it could not
// decode frame's properties or tooLarge says why it refuses the frame, and
// false when frame needs no change or cannot be mended (its 14 fixed octets
// are missing: amqp091-go reports it).
//
// The properties are rebuilt from the ones that decode: a header table that
// does not (any header table, when tooLarge) is replaced by {marker: why};
// a property cut short is dropped with every one after it, and the header
// table is then the marker too. (The flags' continuation bit, which
// amqp091-go ignores, is kept.) The new payload holds at most 14 octets, two
// short strings before the header table, the marker and those after it:
// less than 3,500 octets, within any frame_max.
func rewriteHeaderFrame(frame []byte, marker, tooLarge string) ([]byte, bool) {
	payload := frame[7 : len(frame)-1]
	if len(payload) < 14 {
		return nil, false
	}
	flags := binary.BigEndian.Uint16(payload[12:14])
	keep := flags & 1 // the continuation bit, and the flags of the properties kept
	var (
		why = tooLarge
		pos = 14
		// the properties kept: payload[14:preEnd] before the header
		// table, payload[postStart:postEnd] after it
		preEnd             = 14
		postStart, postEnd int
	)
	for _, p := range basicProperties {
		if flags&p.flag == 0 {
			continue
		}
		start, end := pos, -1
		switch p.size {
		case propShortstr:
			if pos < len(payload) && pos+1+int(payload[pos]) <= len(payload) {
				end = pos + 1 + int(payload[pos])
			}
		case propTable:
			var err error
			if end, err = checkHeaders(payload, pos); err != nil || tooLarge != "" {
				if why == "" {
					why = err.Error()
				}
				end = -1
				// What follows may still decode if the table's length
				// is readable.
				if pos+4 <= len(payload) {
					l := int64(binary.BigEndian.Uint32(payload[pos:]))
					if l <= math.MaxInt32 && int64(pos)+4+l <= int64(len(payload)) {
						pos += 4 + int(l)
						continue
					}
				}
			}
		default:
			if pos+p.size <= len(payload) {
				end = pos + p.size
			}
		}
		if end < 0 {
			if why == "" {
				why = "content header properties cut short"
			}
			break // dropped, with the rest
		}
		pos = end
		keep |= p.flag
		switch {
		case p.flag > flagHeaders:
			preEnd = end
		case p.flag < flagHeaders:
			if postEnd == 0 {
				postStart = start
			}
			postEnd = end
		}
	}
	if why == "" {
		return nil, false // decodable (trailing octets are skipped by amqp091-go too)
	}
	keep |= flagHeaders
	table := markerTable(marker, why)
	pre, post := payload[14:preEnd], payload[postStart:postEnd]
	size := 14 + len(pre) + len(table) + len(post)
	nf := make([]byte, 0, 7+size+1)
	nf = append(nf, frame[:3]...) // type, channel
	nf = binary.BigEndian.AppendUint32(nf, uint32(size))
	nf = append(nf, payload[:12]...) // class, weight, body size
	nf = binary.BigEndian.AppendUint16(nf, keep)
	nf = append(nf, pre...)
	nf = append(nf, table...)
	nf = append(nf, post...)
	return append(nf, frameEnd), true
}

// maxMarkerReason bounds the marker's value: the rewritten frame stays
// within AMQP's smallest frame_max (4096) or the original frame's size.
const maxMarkerReason = 200

// markerTable encodes the field table {marker: why} (a long string value).
func markerTable(marker, why string) []byte {
	if len(why) > maxMarkerReason {
		why = strings.ToValidUTF8(why[:maxMarkerReason], "")
	}
	entry := 1 + len(marker) + 1 + 4 + len(why)
	t := make([]byte, 0, 4+entry)
	t = binary.BigEndian.AppendUint32(t, uint32(entry))
	t = append(t, byte(len(marker)))
	t = append(t, marker...)
	t = append(t, 'S')
	t = binary.BigEndian.AppendUint32(t, uint32(len(why)))
	return append(t, why...)
}

// checkHeaders checks the header table that starts at payload[pos] the way
// amqp091-go reads it, and returns where it ends, or why amqp091-go would
// refuse it.
func checkHeaders(payload []byte, pos int) (int, error) {
	c := &tableChecker{b: payload}
	cur := pos
	if err := c.table(window{cur: &cur, end: len(payload)}, 0, true); err != nil {
		return 0, c.reason(err)
	}
	return cur, nil
}

// reason is the error of checkHeaders for the checker's err.
func (c *tableChecker) reason(err error) error {
	why := "cut short" // errEOF: no data left where some was due
	ce, ok := err.(*checkError)
	if ok {
		why = ce.why
	}
	if c.over && (!ok || !ce.count) {
		why = fmt.Sprintf("more than %d entries (the client decodes at most %d names per table), then %s", clientMaxEntries, clientMaxEntries, why)
	}
	return errors.New("header table: " + why)
}

// window is a reader of amqp091-go's: a cursor, shared with the enclosing
// reader for arrays (an io.LimitedReader on it) and of its own for tables
// (amqp091-go copies a table's bytes out first), and where its data ends.
type window struct {
	cur *int
	end int
}

func (w window) avail() int { return w.end - *w.cur }

// errEOF is io.EOF of amqp091-go's reader: a read found no data at all. An
// array's reader takes it for the array's end; anywhere else it is fatal.
var errEOF = errors.New("no data")

// checkError is why amqp091-go would refuse a table.
type checkError struct {
	why   string
	count bool // the header table's own entry count, nothing else
}

func (e *checkError) Error() string { return e.why }

// tableChecker walks a header table as amqp091-go reads it.
type tableChecker struct {
	b     []byte
	key   []byte // the header table's entry being read, for the reasons
	keyed bool   // key is set
	over  bool   // the header table has more names than the client takes
}

func (c *tableChecker) fail(format string, args ...any) error {
	why := fmt.Sprintf(format, args...)
	if c.keyed {
		why = fmt.Sprintf("entry %q: %s", clipKey(c.key), why)
	}
	return &checkError{why: why}
}

func clipKey(k []byte) string {
	if len(k) > 64 {
		return strings.ToValidUTF8(string(k[:64]), "?") + "..."
	}
	return strings.ToValidUTF8(string(k), "?")
}

// take is binary.Read of n octets: errEOF when there is no data at all.
func (c *tableChecker) take(w window, n int) (int, error) {
	a := w.avail()
	if a <= 0 {
		return 0, errEOF
	}
	at := *w.cur
	if a < n {
		*w.cur += a
		return 0, c.fail("cut short")
	}
	*w.cur += n
	return at, nil
}

// bytes is amqp091-go's readBytes of n octets: it reads in 64 KiB chunks,
// so a string that ends early at a chunk boundary is errEOF.
func (c *tableChecker) bytes(w window, n int64) (int, error) {
	at := *w.cur
	if n == 0 {
		return at, nil
	}
	a := int64(w.avail())
	if a >= n {
		*w.cur += int(n)
		return at, nil
	}
	*w.cur += int(a)
	if a%clientReadChunk == 0 {
		return 0, errEOF
	}
	return 0, c.fail("cut short")
}

// longstr reads a long string and returns where its data starts, and its
// length.
func (c *tableChecker) longstr(w window) (int, int, error) {
	at, err := c.take(w, 4)
	if err != nil {
		return 0, 0, err
	}
	l := binary.BigEndian.Uint32(c.b[at:])
	if l > math.MaxInt32 {
		return 0, 0, c.fail("string length %d", l)
	}
	start, err := c.bytes(w, int64(l))
	return start, int(l), err
}

// table is readTableDepth; top marks the message's header table itself,
// whose entries are counted on past the client's limit for the reason.
func (c *tableChecker) table(w window, depth int, top bool) error {
	if depth > clientMaxDepth {
		return c.fail("tables and arrays nested deeper than %d", clientMaxDepth)
	}
	start, l, err := c.longstr(w)
	if err != nil {
		return err
	}
	cur := start
	in := window{cur: &cur, end: start + l}
	// A table of more than 8192 entries needs 2 octets per entry at least:
	// only such a table needs its names counted.
	var names map[string]struct{}
	if l >= 2*(clientMaxEntries+1) {
		names = make(map[string]struct{}, clientMaxEntries+1)
	}
	entries := 0
	for in.avail() > 0 {
		if top {
			c.keyed = false
		}
		at, err := c.take(in, 1)
		if err != nil {
			return err
		}
		kat, err := c.bytes(in, int64(c.b[at]))
		if err != nil {
			return err
		}
		key := c.b[kat : kat+int(c.b[at])]
		if top {
			c.key, c.keyed = key, true
		}
		if err := c.field(in, depth); err != nil {
			return err
		}
		entries++
		if names != nil {
			if len(names) >= clientMaxEntries {
				if !top {
					return c.fail("a table of more than %d names, the client decodes at most %d", clientMaxEntries, clientMaxEntries)
				}
				c.over = true
			}
			names[string(key)] = struct{}{}
		}
	}
	if !top {
		return nil
	}
	c.keyed = false
	switch {
	case !c.over:
		return nil
	case len(names) == entries:
		return &checkError{why: fmt.Sprintf("%d entries, the client decodes at most %d", entries, clientMaxEntries), count: true}
	default:
		return &checkError{why: fmt.Sprintf("%d entries with %d distinct names, the client decodes at most %d names", entries, len(names), clientMaxEntries), count: true}
	}
}

// array is readArrayDepth: its reader is limited to the array's length and
// it ends at the first read that finds no data (whatever was being read).
func (c *tableChecker) array(w window, depth int) error {
	if depth > clientMaxDepth {
		return c.fail("tables and arrays nested deeper than %d", clientMaxDepth)
	}
	at, err := c.take(w, 4)
	if err != nil {
		return err
	}
	size := binary.BigEndian.Uint32(c.b[at:])
	if size > math.MaxInt32 {
		return c.fail("array length %d", size)
	}
	in := window{cur: w.cur, end: min(w.end, *w.cur+int(size))}
	for n := 0; ; n++ {
		err := c.field(in, depth)
		if err == errEOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n >= clientMaxEntries {
			return c.fail("an array of more than %d elements, the client decodes at most %d", clientMaxEntries, clientMaxEntries)
		}
	}
}

// field is readFieldDepth.
func (c *tableChecker) field(w window, depth int) error {
	at, err := c.take(w, 1)
	if err != nil {
		return err
	}
	switch t := c.b[at]; t {
	case 't', 'B', 'b':
		_, err = c.take(w, 1)
	case 's', 'u':
		_, err = c.take(w, 2)
	case 'I', 'i', 'f':
		_, err = c.take(w, 4)
	case 'l', 'd', 'T':
		_, err = c.take(w, 8)
	case 'D':
		if _, err = c.take(w, 1); err == nil {
			_, err = c.take(w, 4)
		}
	case 'S':
		_, _, err = c.longstr(w)
	case 'x':
		var lat int
		if lat, err = c.take(w, 4); err == nil {
			l := int32(binary.BigEndian.Uint32(c.b[lat:]))
			if l < 0 {
				return c.fail("byte array length %d", l)
			}
			_, err = c.bytes(w, int64(l))
		}
	case 'A':
		err = c.array(w, depth+1)
	case 'F':
		err = c.table(w, depth+1, false)
	case 'V':
	default:
		return c.fail("unknown field type %q", t)
	}
	return err
}
