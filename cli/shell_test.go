package cli_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shellFields splits one command line as sh would for the subset that
// banners and the README print: blanks separate words; '…' quotes
// literally; "…" quotes with $NAME and ${NAME} expanded from getenv; a bare
// $NAME expands too; a backslash outside single quotes escapes the next
// character; a word starting with # starts a comment. Anything else sh
// would treat specially (globs, pipes, $(…)) is refused, so what the tests
// run is what a reader's shell runs.
func shellFields(line string, getenv func(string) string) ([]string, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var words []string
	var cur strings.Builder
	inWord := false
	rs := []rune(line)
	expand := func(i int) (int, error) {
		// rs[i] is '$'; returns the index of the last rune consumed.
		j := i + 1
		braced := j < len(rs) && rs[j] == '{'
		if braced {
			j++
		}
		start := j
		for j < len(rs) && (rs[j] == '_' || rs[j] >= 'A' && rs[j] <= 'Z' || rs[j] >= 'a' && rs[j] <= 'z' || j > start && rs[j] >= '0' && rs[j] <= '9') {
			j++
		}
		name := string(rs[start:j])
		if name == "" {
			return 0, errors.New("a $ that names no variable")
		}
		if braced {
			if j >= len(rs) || rs[j] != '}' {
				return 0, errors.New("an unclosed ${")
			}
			j++
		}
		cur.WriteString(getenv(name))
		return j - 1, nil
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			return words, nil
		case r == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j >= len(rs) {
				return nil, errors.New("an unbalanced single quote")
			}
			cur.WriteString(string(rs[i+1 : j]))
			i = j
			inWord = true
		case r == '"':
			inWord = true
			closed := false
			for i++; i < len(rs); i++ {
				switch c := rs[i]; {
				case c == '"':
					closed = true
				case c == '\\' && i+1 < len(rs) && strings.ContainsRune(`"\$`+"`", rs[i+1]):
					i++
					cur.WriteRune(rs[i])
				case c == '$':
					j, err := expand(i)
					if err != nil {
						return nil, err
					}
					i = j
				case c == '`':
					return nil, errors.New("a backquote")
				default:
					cur.WriteRune(c)
				}
				if closed {
					break
				}
			}
			if !closed {
				return nil, errors.New("an unbalanced double quote")
			}
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, errors.New("a trailing backslash (join continued lines first)")
			}
			i++
			cur.WriteRune(rs[i])
			inWord = true
		case r == '$':
			j, err := expand(i)
			if err != nil {
				return nil, err
			}
			i = j
			inWord = true
		case strings.ContainsRune("|&;<>()`*?[]{}~", r):
			return nil, errors.New("a shell metacharacter " + string(r) + " outside quotes")
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// TestShellFields checks the splitter the banner and README tests rely on
// against what sh does with the same lines.
func TestShellFields(t *testing.T) {
	t.Parallel()
	env := lookupIn(map[string]string{"PLANBRIDGE_SERVER": "http://127.0.0.1:1", "KEY": "k 1"})
	tests := []struct {
		line    string
		want    []string
		wantErr bool
	}{
		{line: `go run ./cmd/planbridge serve    # the main job`, want: []string{"go", "run", "./cmd/planbridge", "serve"}},
		{line: `call x --input '{"limit": 3}'`, want: []string{"call", "x", "--input", `{"limit": 3}`}},
		{line: `curl -H "Authorization: Bearer $KEY" "$PLANBRIDGE_SERVER/v1/actions"`, want: []string{"curl", "-H", "Authorization: Bearer k 1", "http://127.0.0.1:1/v1/actions"}},
		{line: `a ${PLANBRIDGE_SERVER}/x $UNSET"b"`, want: []string{"a", "http://127.0.0.1:1/x", "b"}},
		{line: `a "q\"uote" b\ c ''`, want: []string{"a", `q"uote`, "b c", ""}},
		{line: `a 'x`, wantErr: true},
		{line: `a "x`, wantErr: true},
		{line: `a | b`, wantErr: true},
		{line: `a $(b)`, wantErr: true},
		{line: `a *.go`, wantErr: true},
	}
	for _, tc := range tests {
		got, err := shellFields(tc.line, env)
		if (err != nil) != tc.wantErr {
			t.Errorf("shellFields(%q) error = %v, want error %v", tc.line, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got); !tc.wantErr && diff != "" {
			t.Errorf("shellFields(%q) (-want +got):\n%s", tc.line, diff)
		}
	}
}
