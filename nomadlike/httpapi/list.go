package httpapi

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/hashicorp/go-bexpr"

	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// nextTokenHeader carries the token of the first item of the next page.
const nextTokenHeader = "X-Nomad-NextToken"

// maxFilter caps the length of a filter expression.
const maxFilter = 4 << 10

// listOptions are Nomad's list parameters: ?per_page (0: no pages),
// ?next_token (the first item to answer), ?reverse and ?filter (a
// go-bexpr expression over the fields of the listed objects, as answered).
type listOptions struct {
	perPage   int
	nextToken string
	reverse   bool
	filter    *bexpr.Evaluator
}

func parseListOptions(r *http.Request) (listOptions, error) {
	v := r.URL.Query()
	opts := listOptions{nextToken: v.Get("next_token")}
	if s := v.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return opts, badRequest("per_page: %s is not a number >= 0", reqlimit.Quote(s))
		}
		opts.perPage = n
	}
	if s := v.Get("reverse"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return opts, badRequest("reverse: %s is not true or false", reqlimit.Quote(s))
		}
		opts.reverse = b
	}
	if expr := v.Get("filter"); expr != "" {
		if len(expr) > maxFilter {
			return opts, badRequest("filter: the expression is %d bytes, more than the %d allowed", len(expr), maxFilter)
		}
		ev, err := bexpr.CreateEvaluator(expr, bexpr.WithTagName("json"))
		if err != nil {
			return opts, badRequest("filter: %s", reqlimit.Clip(err.Error(), 512))
		}
		opts.filter = ev
	}
	return opts, nil
}

// listKey locates an item in its list's order.
type listKey struct {
	index  uint64 // CreateIndex, for lists ordered newest first
	ns, id string
}

// listOrder is how a list is sorted, and so how its next_token reads.
type listOrder int

const (
	// byID: ID ascending; the token is the ID.
	byID listOrder = iota
	// byNamespaceID: namespace, then ID; the token is "namespace.ID"
	// (namespaces have no dots).
	byNamespaceID
	// byIndexDesc: CreateIndex newest first, then ID; the token is
	// "CreateIndex.ID".
	byIndexDesc
)

func (o listOrder) token(k listKey) string {
	switch o {
	case byNamespaceID:
		return k.ns + "." + k.id
	case byIndexDesc:
		return strconv.FormatUint(k.index, 10) + "." + k.id
	}
	return k.id
}

func (o listOrder) parse(tok string) (listKey, error) {
	switch o {
	case byNamespaceID:
		ns, id, _ := strings.Cut(tok, ".")
		return listKey{ns: ns, id: id}, nil
	case byIndexDesc:
		s, id, _ := strings.Cut(tok, ".")
		i, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return listKey{}, badRequest("next_token: %s is not a token of this list (CreateIndex.ID)", reqlimit.Quote(tok))
		}
		return listKey{index: i, id: id}, nil
	}
	return listKey{id: tok}, nil
}

// compare orders a before (-1) or after (1) b in the list.
func (o listOrder) compare(a, b listKey) int {
	switch o {
	case byNamespaceID:
		if c := strings.Compare(a.ns, b.ns); c != 0 {
			return c
		}
	case byIndexDesc:
		switch {
		case a.index > b.index:
			return -1
		case a.index < b.index:
			return 1
		}
	}
	return strings.Compare(a.id, b.id)
}

// listing describes one list endpoint's items.
type listing[T any] struct {
	order listOrder
	key   func(T) listKey
	// wire returns the item as the list answers it (a stub); nil answers
	// the item itself. The filter sees what wire returns.
	wire func(T) any
}

func (l listing[T]) element(it T) any {
	if l.wire == nil {
		return it
	}
	return l.wire(it)
}

// page selects the answer from items, which are in the list's order: from
// opts.nextToken on (the order reversed with opts.reverse), the items the
// filter accepts, at most opts.perPage of them. The token is that of the
// next accepted item, "" when the page ends the list. A filter that cannot
// be evaluated on an item (a selector naming no field) is a 400.
func (l listing[T]) page(items []T, opts listOptions) (*listAnswer[T], error) {
	ans := &listAnswer[T]{wire: l.wire}
	if opts.perPage == 0 && opts.nextToken == "" && !opts.reverse && opts.filter == nil {
		ans.items = items
		return ans, nil
	}
	var start listKey
	if opts.nextToken != "" {
		k, err := l.order.parse(opts.nextToken)
		if err != nil {
			return nil, err
		}
		start = k
	}
	n := len(items)
	for i := range n {
		it := items[i]
		if opts.reverse {
			it = items[n-1-i]
		}
		if opts.nextToken != "" {
			c := l.order.compare(l.key(it), start)
			if opts.reverse {
				c = -c
			}
			if c < 0 {
				continue
			}
		}
		if opts.filter != nil {
			ok, err := opts.filter.Evaluate(l.element(it))
			if err != nil {
				return nil, badRequest("filter: %s", reqlimit.Clip(err.Error(), 512))
			}
			if !ok {
				continue
			}
		}
		if opts.perPage > 0 && len(ans.items) == opts.perPage {
			ans.next = l.order.token(l.key(it))
			return ans, nil
		}
		ans.items = append(ans.items, it)
	}
	return ans, nil
}

// streamedList is an answer that writeJSON encodes element by element to
// the response instead of into one buffer.
type streamedList interface {
	nextToken() string
	writeTo(w io.Writer, pretty bool) error
}

// listAnswer is one page of a list: the items it answers and the token of
// the next page.
type listAnswer[T any] struct {
	items []T
	next  string
	wire  func(T) any
}

func (a *listAnswer[T]) nextToken() string { return a.next }

// streamBuffer is how much encoded output is held before it is written.
const streamBuffer = 32 << 10

// writeTo writes the items as one JSON array and a newline, the bytes
// encoding/json writes for the whole slice (indented by four spaces with
// pretty), holding at most one element and streamBuffer bytes at a time.
func (a *listAnswer[T]) writeTo(w io.Writer, pretty bool) error {
	if len(a.items) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	bw := bufio.NewWriterSize(w, streamBuffer)
	var elem bytes.Buffer
	enc := jsonx.NewEncoder(&elem)
	open, sep, end := "[", ",", "]\n"
	if pretty {
		enc.SetIndent("    ", "    ")
		open, sep, end = "[\n    ", ",\n    ", "\n]\n"
	}
	if _, err := bw.WriteString(open); err != nil {
		return err
	}
	for i, it := range a.items {
		if i > 0 {
			if _, err := bw.WriteString(sep); err != nil {
				return err
			}
		}
		var v any = it
		if a.wire != nil {
			v = a.wire(it)
		}
		elem.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		if _, err := bw.Write(bytes.TrimSuffix(elem.Bytes(), []byte("\n"))); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString(end); err != nil {
		return err
	}
	return bw.Flush()
}
