package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// errBadRequest is wrapped by errors about the request itself: malformed
// bodies, bad query parameters, ambiguous ID prefixes.
var errBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}

// statusFor maps an error to its HTTP status. It is the only place that does.
func statusFor(err error) int {
	switch {
	case errors.Is(err, nomadlike.ErrNotFound), errors.Is(err, nomadlike.ErrJobNotFound):
		return http.StatusNotFound
	case errors.Is(err, errBadRequest), errors.Is(err, nomadlike.ErrValidation):
		return http.StatusBadRequest
	case errors.Is(err, nomadlike.ErrIndexMismatch), errors.Is(err, nomadlike.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, nomadlike.ErrPermission), errors.Is(err, nomadlike.ErrTokenNotFound):
		return http.StatusForbidden
	case reqlimit.IsTooLarge(err):
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

// maxErrorMessage caps an error body: the places that quote user input
// quote a short prefix of it (reqlimit.Quote), and this catches the rest
// (a validation error listing many problems stays whole).
const maxErrorMessage = 16 << 10

// writeError writes err as a plain-text body with its status, like Nomad.
func writeError(w http.ResponseWriter, err error) {
	code := statusFor(err)
	msg := err.Error()
	if errors.Is(err, errBadRequest) {
		msg = strings.TrimPrefix(msg, errBadRequest.Error()+": ")
	}
	msg = reqlimit.Clip(msg, maxErrorMessage)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// notFound returns an error that maps to 404.
func notFound(what, id string) error {
	return fmt.Errorf("%s %s: %w", what, reqlimit.Quote(id), nomadlike.ErrNotFound)
}

// readBody reads the whole request body and puts it back, so that the
// request can still be forwarded after it was decoded. ServeHTTP has capped
// the body (Config.BodyLimits); past the cap the error maps to 413.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, reqlimit.TooLarge(mbe.Limit)
	case err != nil:
		return nil, badRequest("read body: %v", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// decodeBody decodes the JSON request body into out. Errors name the JSON
// field path with list indexes, e.g.
// "Job.TaskGroups[0].Count: cannot unmarshal string into int".
func decodeBody(r *http.Request, out any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return badRequest("request body is empty; want a JSON object")
	}
	return decodeJSON(b, out)
}

func decodeJSON(b []byte, out any) error {
	// jsonx returns encoding/json's error types, which the paths below need.
	err := jsonx.Unmarshal(b, out)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		path := jsonPathAt(b, te.Offset)
		if path == "" {
			path = te.Field
		}
		if path == "" {
			path = "(root)"
		}
		return badRequest("%s: cannot unmarshal %s into %s", reqlimit.Clip(path, 256), reqlimit.Clip(te.Value, reqlimit.QuoteMax), typeName(te.Type.String()))
	case errors.As(err, &se):
		line, col := lineCol(b, se.Offset)
		return badRequest("malformed JSON at line %d, column %d: %s", line, col, reqlimit.Clip(se.Error(), 256))
	default:
		// Errors from UnmarshalJSON methods (durations, times) carry no
		// offset; name the first field path json reported if any.
		return badRequest("malformed JSON: %s", reqlimit.Clip(err.Error(), 256))
	}
}

func typeName(t string) string {
	t = strings.TrimPrefix(t, "*")
	if i := strings.LastIndexByte(t, '.'); i >= 0 && !strings.HasPrefix(t, "map[") && !strings.HasPrefix(t, "[]") {
		return t[i+1:]
	}
	return t
}

func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// jsonPathAt returns the path ("Job.TaskGroups[0].Count") of the value that
// ends at byte offset off of the JSON document b, by re-tokenizing it.
func jsonPathAt(b []byte, off int64) string {
	type frame struct {
		array bool
		key   string
		index int
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	expectKey := func() bool {
		return len(stack) > 0 && !stack[len(stack)-1].array && stack[len(stack)-1].key == ""
	}
	render := func() string {
		var sb strings.Builder
		for _, f := range stack {
			if f.array {
				sb.WriteString("[" + strconv.Itoa(f.index) + "]")
				continue
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(f.key)
		}
		return sb.String()
	}
	// valueDone advances the enclosing container after a complete value.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.array {
			top.index++
		} else {
			top.key = ""
		}
	}
	for {
		before := render()
		tok, err := dec.Token()
		if err != nil {
			return before
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if dec.InputOffset() >= off {
					return before
				}
				stack = append(stack, frame{})
			case '[':
				if dec.InputOffset() >= off {
					return before
				}
				stack = append(stack, frame{array: true})
			case '}', ']':
				stack = stack[:len(stack)-1]
				if dec.InputOffset() >= off {
					return render()
				}
				valueDone()
			}
		default:
			if expectKey() {
				s, _ := t.(string)
				stack[len(stack)-1].key = s
				continue
			}
			if dec.InputOffset() >= off {
				return before
			}
			valueDone()
		}
	}
}
