package socketio

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
)

// NewJar returns an empty cookie jar that behaves as net/http/cookiejar's
// (without a public suffix list) but holds nothing until a response sets a
// cookie: most load-test connections never get one, and a cookiejar.Jar
// costs about 100 bytes each even when empty.
func NewJar() http.CookieJar { return &lazyJar{} }

// lazyJar creates its cookiejar.Jar on the first SetCookies with cookies.
type lazyJar struct {
	mu  sync.RWMutex
	jar *cookiejar.Jar
}

// SetCookies stores cookies set by a response from u.
func (j *lazyJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if len(cookies) == 0 {
		return // what cookiejar.Jar does too
	}
	j.mu.Lock()
	if j.jar == nil {
		j.jar, _ = cookiejar.New(nil) // never fails without options
	}
	jar := j.jar
	j.mu.Unlock()
	jar.SetCookies(u, cookies)
}

// Cookies returns the cookies to send in a request to u.
func (j *lazyJar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.RLock()
	jar := j.jar
	j.mu.RUnlock()
	if jar == nil {
		return nil
	}
	return jar.Cookies(u)
}
