// Package secret checks presented secrets (chat tokens, API keys, shared
// door and webhook secrets) against the configured ones in constant time.
package secret

import (
	"crypto/sha256"
	"crypto/subtle"
)

// Set holds the digests of the accepted secrets. Comparing digests makes
// the check independent of the secrets' lengths, and every digest is
// compared, so timing reveals neither which secret matched nor how much of
// a guess was right. A nil Set accepts nothing.
type Set struct {
	digests [][sha256.Size]byte
}

// NewSet returns the set of the given secrets, ignoring empty ones.
func NewSet(secrets ...string) *Set {
	s := &Set{}
	for _, v := range secrets {
		if v != "" {
			s.digests = append(s.digests, sha256.Sum256([]byte(v)))
		}
	}
	return s
}

// Len reports how many secrets the set accepts.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.digests)
}

// Match reports whether got is one of the set's secrets; an empty got
// never matches.
func (s *Set) Match(got string) bool {
	if s == nil || got == "" {
		return false
	}
	d := sha256.Sum256([]byte(got))
	match := 0
	for i := range s.digests {
		match |= subtle.ConstantTimeCompare(d[:], s.digests[i][:])
	}
	return match == 1
}
