package mailbox

import (
	"context"
	"errors"
	"strings"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// OpenHeader reads and parses only the header block of one message (ranged
// reads of its first bytes, see mailstore.Store.ReadHeader), so showing the
// header fields of a 40 MB message costs tens of kilobytes, not 40 MB. key
// is a full key or an SES message id, as for Open. The Message's Raw is
// the header block; its View has the header fields and no body.
func (m *Mailbox) OpenHeader(ctx context.Context, key string) (*Message, error) {
	id := key
	key, err := m.Resolve(ctx, key)
	if err != nil {
		return nil, err
	}
	hdr, obj, err := m.store.ReadHeader(ctx, key)
	if p := m.Location().Prefix; errors.Is(err, mailstore.ErrNotFound) && key == p+id && p != "" && !strings.HasSuffix(p, "/") {
		// As in Open: SES may have put a "/" after the prefix.
		key = p + "/" + id
		hdr, obj, err = m.store.ReadHeader(ctx, key)
	}
	if err != nil {
		return nil, m.notFound(id, err)
	}
	hdr = mime.HeaderBlock(hdr) // without the body's first bytes read along
	v := mime.Parse(hdr)
	v.Summary.Object = obj
	v.Summary.Size = obj.Size
	return &Message{Summary: v.Summary, Raw: hdr, View: v}, nil
}
