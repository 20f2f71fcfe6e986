package target

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// LoginNamespace accepts logged-in sockets only: a token from POST /login
// in auth.token (or the token query parameter), or the session cookie the
// login set. Other namespaces need no login.
const LoginNamespace = "/private"

// LoginPassword is the password POST /login accepts, for any user name.
const LoginPassword = "secret"

// SessionCookie is the cookie POST /login sets, holding the token.
const SessionCookie = "session"

// maxLoginBody bounds a login request's body.
const maxLoginBody = 64 << 10

// logins issues and checks login tokens, <user>.<mac>, as the Node
// reference server does: checked without a table, so logins cost no memory.
type logins struct {
	key []byte
}

func newLogins() logins {
	key := make([]byte, 16)
	_, _ = rand.Read(key) // never fails
	return logins{key: key}
}

func (l logins) token(user string) string {
	mac := hmac.New(sha256.New, l.key)
	mac.Write([]byte(user))
	return user + "." + hex.EncodeToString(mac.Sum(nil))[:16]
}

// user returns the user of a token the server issued.
func (l logins) user(token string) (string, bool) {
	i := strings.LastIndexByte(token, '.')
	if i <= 0 {
		return "", false
	}
	user := token[:i]
	return user, hmac.Equal([]byte(l.token(user)), []byte(token))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serveLogin answers POST /login with {"username", "password"} as JSON or
// a form: 200 {"token", "user"} and the session cookie, 401 for another
// password, 400 for a body without a user name.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "log in with POST"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxLoginBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "could not read the body"})
		return
	}
	var creds struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		_ = json.Unmarshal(body, &creds)
	case "application/x-www-form-urlencoded":
		if form, err := url.ParseQuery(string(body)); err == nil {
			creds.Username, creds.Password = form.Get("username"), form.Get("password")
		}
	}
	if creds.Username == "" || strings.ContainsAny(creds.Username, ";,\r\n") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `send {"username", "password"} as JSON or a form`})
		return
	}
	if creds.Password != LoginPassword {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid credentials"})
		return
	}
	token := s.logins.token(creds.Username)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true})
	writeJSON(w, http.StatusOK, map[string]string{"token": token, "user": creds.Username})
}

// serveMe answers GET /me: the user of the bearer token or session cookie.
func (s *Server) serveMe(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	user, ok := s.logins.user(token)
	if !ok {
		if c, err := r.Cookie(SessionCookie); err == nil {
			user, ok = s.logins.user(c.Value)
		}
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "log in first"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"user": user})
}

// loginUser returns the logged-in user a namespace connection presents:
// a token in auth.token or the query, or the handshake's session cookie.
func (s *session) loginUser(auth json.RawMessage, rawQuery string) (string, bool) {
	if user, ok := s.srv.logins.user(tokenOf(auth, s.query, rawQuery)); ok {
		return user, true
	}
	req := http.Request{Header: s.headers}
	if c, err := req.Cookie(SessionCookie); err == nil {
		return s.srv.logins.user(c.Value)
	}
	return "", false
}
