// Package tnef reads Outlook's Transport Neutral Encapsulation Format
// (winmail.dat, application/ms-tnef; [MS-OXTNEF]): the files attached
// inside it and the message's bodies. The stream is the sender's: every
// length is checked against the bytes left, counts are capped, and
// nothing recurses, so the work is linear in the input. Attached
// messages (a TNEF stream inside the stream) are not opened.
package tnef

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// Signature starts every TNEF stream (uint32, little-endian).
const Signature = 0x223E9F78

// ErrNotTNEF says the bytes do not start with Signature.
var ErrNotTNEF = errors.New("not a TNEF stream (no TNEF signature)")

// Bounds on what one stream may make sesbox keep: attachments beyond
// MaxAttachments are counted in Message.Dropped, not kept; a property list
// of more than maxProps properties, or a property of more than maxValues
// values, is not read.
const (
	MaxAttachments = 256
	maxProps       = 4096
	maxValues      = 4096
)

// Attribute ids (the low 16 bits of an attribute's id; [MS-OXTNEF] 2.1.3.3).
const (
	attBody        = 0x800C
	attAttachData  = 0x800F
	attAttachTitle = 0x8010
	attRendData    = 0x9002
	attMsgProps    = 0x9003
	attAttachment  = 0x9005
	attOemCodepage = 0x9007
)

// Levels of an attribute.
const (
	levelMessage    = 1
	levelAttachment = 2
)

// MAPI property ids ([MS-OXPROPS]).
const (
	prBody             = 0x1000
	prRTFCompressed    = 0x1009
	prBodyHTML         = 0x1013
	prDisplayName      = 0x3001
	prAttachDataBin    = 0x3701 // PT_BINARY; PT_OBJECT for an attached message or OLE object
	prAttachFilename   = 0x3704
	prAttachMethod     = 0x3705
	prAttachLongName   = 0x3707
	prAttachMIMETag    = 0x370E
	prInternetCPID     = 0x3FDE
	prMessageCodepage  = 0x3FFD
	methodEmbeddedMsg  = 5
	namedPropertyFirst = 0x8000
)

// MAPI property types ([MS-OXCDATA] 2.11.1).
const (
	ptShort    = 0x0002
	ptLong     = 0x0003
	ptFloat    = 0x0004
	ptDouble   = 0x0005
	ptCurrency = 0x0006
	ptAppTime  = 0x0007
	ptError    = 0x000A
	ptBoolean  = 0x000B
	ptObject   = 0x000D
	ptI8       = 0x0014
	ptString8  = 0x001E
	ptUnicode  = 0x001F
	ptSysTime  = 0x0040
	ptCLSID    = 0x0048
	ptBinary   = 0x0102
	mvFlag     = 0x1000
)

// Message is what a TNEF stream holds that a reader wants.
type Message struct {
	// Attachments in the order the stream gives them.
	Attachments []Attachment
	// Body is attBody or PR_BODY, decoded to UTF-8.
	Body string
	// HTML is PR_BODY_HTML as written; HTMLCodepage its PR_INTERNET_CPID
	// (0: unknown, the HTML's own <meta> may say).
	HTML         []byte
	HTMLCodepage int
	// RTF is PR_RTF_COMPRESSED as written (see DecompressRTF).
	RTF []byte
	// Codepage is the stream's attOemCodepage (0: not given).
	Codepage int
	// BadChecksums counts attributes whose checksum is not their data's
	// (kept all the same); Dropped counts attachments beyond
	// MaxAttachments; Problems say what could not be read.
	BadChecksums int
	Dropped      int
	Problems     []string
}

// Attachment is one file attached inside the stream.
type Attachment struct {
	// Name is PR_ATTACH_LONG_FILENAME, else the attAttachTitle (8.3),
	// PR_ATTACH_FILENAME or PR_DISPLAY_NAME: the sender's, never a path.
	Name string
	// MIMEType is PR_ATTACH_MIME_TAG as written (the sender's: may be
	// empty or anything).
	MIMEType string
	// Data is attAttachData, else PR_ATTACH_DATA_BIN.
	Data []byte
	// Method is PR_ATTACH_METHOD: 1 by value, 5 an attached message
	// (Data is then nil: not opened), 6 an OLE object.
	Method int
}

// EmbeddedMessage reports an attached Outlook message, which is not opened.
func (a Attachment) EmbeddedMessage() bool { return a.Method == methodEmbeddedMsg }

// Decoder turns 8-bit text in a Windows code page into UTF-8 (code page
// 0: unknown). Decode calls it for every PT_STRING8 value and title.
type Decoder func(codepage int, b []byte) string

// attachment is an Attachment as read, before its texts are decoded
// (the code page may come after them).
type attachment struct {
	title, longName, fileName, displayName, mimeTag text
	data, dataBin                                   []byte
	hasData                                         bool
	method                                          int
}

// text is a string property as written: 8-bit in a code page, or UTF-16.
type text struct {
	b       []byte
	unicode bool
}

// Decode reads a TNEF stream. It reads as far as it can: a stream cut
// short or malformed past its start gives what came before it, with the
// problem in Problems; the error is ErrNotTNEF or nil.
func Decode(b []byte, decode Decoder) (*Message, error) {
	if len(b) < 6 || binary.LittleEndian.Uint32(b) != Signature {
		return nil, ErrNotTNEF
	}
	m := &Message{}
	var (
		atts    []attachment
		body    text
		msgBody text
		cpid    int
	)
	for i := 6; i < len(b); {
		if len(b)-i < 11 {
			m.Problems = append(m.Problems, fmt.Sprintf("the stream ends inside an attribute's header (%d bytes left)", len(b)-i))
			break
		}
		level := b[i]
		id := binary.LittleEndian.Uint32(b[i+1:]) & 0xFFFF
		n := binary.LittleEndian.Uint32(b[i+5:])
		if uint64(n) > uint64(len(b)-i-11) {
			m.Problems = append(m.Problems, fmt.Sprintf("an attribute (0x%04X) says it has %d bytes, more than the %d left: the stream is cut short", id, n, len(b)-i-11))
			break
		}
		data := b[i+9 : i+9+int(n)]
		sum := binary.LittleEndian.Uint16(b[i+9+int(n):])
		i += 11 + int(n)
		if checksum(data) != sum {
			m.BadChecksums++
		}
		var cur *attachment
		if level == levelAttachment && len(atts) > 0 && m.Dropped == 0 {
			cur = &atts[len(atts)-1]
		}
		switch {
		case level == levelAttachment && id == attRendData:
			if len(atts) == MaxAttachments {
				m.Dropped++ // it and every attribute of it
				continue
			}
			atts = append(atts, attachment{method: 1})
		case cur != nil && id == attAttachTitle:
			cur.title = text{b: data}
		case cur != nil && id == attAttachData:
			cur.data, cur.hasData = data, true
		case cur != nil && id == attAttachment:
			err := props(data, func(pid, ptype uint16, v []byte) {
				switch pid {
				case prAttachLongName:
					cur.longName = stringProp(ptype, v)
				case prAttachFilename:
					cur.fileName = stringProp(ptype, v)
				case prDisplayName:
					cur.displayName = stringProp(ptype, v)
				case prAttachMIMETag:
					cur.mimeTag = stringProp(ptype, v)
				case prAttachMethod:
					if ptype == ptLong && len(v) >= 4 {
						cur.method = int(binary.LittleEndian.Uint32(v))
					}
				case prAttachDataBin:
					if ptype == ptBinary {
						cur.dataBin = v
					}
				}
			})
			if err != nil {
				m.Problems = append(m.Problems, fmt.Sprintf("the properties of attachment %d: %v", len(atts), err))
			}
		case level == levelMessage && id == attOemCodepage:
			if len(data) >= 4 {
				m.Codepage = int(binary.LittleEndian.Uint32(data))
			}
		case level == levelMessage && id == attBody:
			body = text{b: data}
		case level == levelMessage && id == attMsgProps:
			err := props(data, func(pid, ptype uint16, v []byte) {
				switch {
				case pid == prBody && (ptype == ptString8 || ptype == ptUnicode):
					msgBody = stringProp(ptype, v)
				case pid == prBodyHTML && (ptype == ptBinary || ptype == ptString8):
					m.HTML = v
				case pid == prRTFCompressed && ptype == ptBinary:
					m.RTF = v
				case (pid == prInternetCPID || pid == prMessageCodepage) && ptype == ptLong && len(v) >= 4:
					if cpid == 0 || pid == prInternetCPID {
						cpid = int(binary.LittleEndian.Uint32(v))
					}
				}
			})
			if err != nil {
				m.Problems = append(m.Problems, fmt.Sprintf("the message's properties: %v", err))
			}
		}
	}
	m.HTMLCodepage = cpid
	propCP := cpid
	if propCP == 0 {
		propCP = m.Codepage
	}
	str := func(t text, cp int) string {
		if t.unicode {
			return utf16String(t.b)
		}
		s := t.b
		if k := indexNUL(s); k >= 0 {
			s = s[:k]
		}
		if decode == nil {
			return string(s)
		}
		return decode(cp, s)
	}
	m.Body = str(body, m.Codepage)
	if m.Body == "" {
		m.Body = str(msgBody, propCP)
	}
	for _, a := range atts {
		out := Attachment{MIMEType: str(a.mimeTag, propCP), Method: a.method, Data: a.data}
		for _, n := range []string{str(a.longName, propCP), str(a.title, m.Codepage), str(a.fileName, propCP), str(a.displayName, propCP)} {
			if out.Name == "" {
				out.Name = n
			}
		}
		if !a.hasData && a.method != methodEmbeddedMsg {
			out.Data = a.dataBin
		}
		if a.method == methodEmbeddedMsg {
			out.Data = nil
		}
		m.Attachments = append(m.Attachments, out)
	}
	return m, nil
}

// checksum is an attribute's checksum: its data's bytes summed, mod 65536.
func checksum(b []byte) uint16 {
	var s uint16
	for _, c := range b {
		s += uint16(c)
	}
	return s
}

// stringProp is a PT_STRING8 or PT_UNICODE value as a text.
func stringProp(ptype uint16, v []byte) text {
	switch ptype {
	case ptString8:
		return text{b: v}
	case ptUnicode:
		return text{b: v, unicode: true}
	}
	return text{}
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// utf16String decodes UTF-16LE to the first NUL.
func utf16String(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// fixedSize is the bytes one value of a fixed-size property type takes
// in a TNEF property list (padded to 4), or 0 for a variable or unknown type.
func fixedSize(t uint16) int {
	switch t {
	case ptShort, ptLong, ptFloat, ptError, ptBoolean:
		return 4
	case ptDouble, ptCurrency, ptAppTime, ptI8, ptSysTime:
		return 8
	case ptCLSID:
		return 16
	}
	return 0
}

// props reads a MAPI property list ([MS-OXTNEF] 2.1.3.4) and calls fn
// with each single value (each of a multi-valued property's values): its
// id, its type without the multi-value flag, and its bytes (a variable
// one's without its padding). Every step consumes at least four bytes,
// so the work is linear in len(b). An error says where the list became
// unreadable; the values before it were given to fn.
func props(b []byte, fn func(id, ptype uint16, v []byte)) error {
	r := reader{b: b}
	count, ok := r.u32()
	if !ok {
		return errors.New("no property count")
	}
	if count > maxProps || uint64(count)*8 > uint64(len(b)) {
		return fmt.Errorf("%d properties, more than it can hold", count)
	}
	for k := uint32(0); k < count; k++ {
		ptype, ok1 := r.u16()
		id, ok2 := r.u16()
		if !ok1 || !ok2 {
			return fmt.Errorf("cut short at property %d", k+1)
		}
		if id >= namedPropertyFirst {
			// A named property: GUID, kind, then a number or a name.
			if !r.skip(16) {
				return fmt.Errorf("cut short in the name of property %d", k+1)
			}
			kind, ok := r.u32()
			if !ok {
				return fmt.Errorf("cut short in the name of property %d", k+1)
			}
			switch kind {
			case 0:
				if !r.skip(4) {
					return fmt.Errorf("cut short in the name of property %d", k+1)
				}
			case 1:
				n, ok := r.u32()
				if !ok || !r.skip(pad4(n)) {
					return fmt.Errorf("cut short in the name of property %d", k+1)
				}
			default:
				return fmt.Errorf("property %d has a name of unknown kind %d", k+1, kind)
			}
		}
		base := ptype &^ mvFlag
		variable := base == ptString8 || base == ptUnicode || base == ptBinary || base == ptObject
		size := fixedSize(base)
		if !variable && size == 0 {
			return fmt.Errorf("property %d (0x%04X) has a type sesbox does not know (0x%04X)", k+1, id, ptype)
		}
		values := uint32(1)
		if variable || ptype&mvFlag != 0 {
			if values, ok = r.u32(); !ok {
				return fmt.Errorf("cut short at the values of property %d", k+1)
			}
			if values > maxValues || uint64(values)*4 > uint64(r.left()) {
				return fmt.Errorf("property %d says it has %d values, more than it can hold", k+1, values)
			}
		}
		for j := uint32(0); j < values; j++ {
			var v []byte
			if variable {
				n, ok := r.u32()
				if !ok || uint64(pad4(n)) > uint64(r.left()) {
					return fmt.Errorf("a value of property %d is cut short", k+1)
				}
				v = r.b[r.i : r.i+int(n)]
				r.skip(pad4(n))
			} else {
				if size > r.left() {
					return fmt.Errorf("a value of property %d is cut short", k+1)
				}
				v = r.b[r.i : r.i+size]
				r.skip(uint32(size))
			}
			fn(id, base, v)
		}
	}
	return nil
}

// pad4 is n rounded up to a multiple of 4, saturating.
func pad4(n uint32) uint32 {
	if n > 0xFFFFFFFF-3 {
		return 0xFFFFFFFF
	}
	return (n + 3) &^ 3
}

// reader reads little-endian numbers from b, never past its end.
type reader struct {
	b []byte
	i int
}

func (r *reader) left() int { return len(r.b) - r.i }

func (r *reader) u16() (uint16, bool) {
	if r.left() < 2 {
		return 0, false
	}
	v := binary.LittleEndian.Uint16(r.b[r.i:])
	r.i += 2
	return v, true
}

func (r *reader) u32() (uint32, bool) {
	if r.left() < 4 {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(r.b[r.i:])
	r.i += 4
	return v, true
}

func (r *reader) skip(n uint32) bool {
	if uint64(n) > uint64(r.left()) {
		return false
	}
	r.i += int(n)
	return true
}
