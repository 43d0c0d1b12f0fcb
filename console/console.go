// Package console is planbridge's operator console: server-rendered pages
// under /console (the outbox and its dead letters, hand-off sessions, the
// Planhat budget, and in sandbox mode a chat that plays both the end user
// and the Planfix agent), with the same data as JSON under /v1/admin/.
//
// The pages need no JavaScript to read and no build step: templates, styles
// and the small live-refresh script are embedded. They are behind an admin
// key (a login form that sets an HttpOnly, SameSite=Strict cookie signed
// with a key derived from the admin key, so any replica can check it), every
// form that changes anything carries a CSRF token bound to the session, and
// every answer carries a strict Content-Security-Policy.
package console

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/readcache"
	"github.com/planbridge/planbridge/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// ContentSecurityPolicy is sent with every console answer: only the
// console's own styles and script, no inline script, no framing, and
// forms that post only back to the console.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// MaxFormBytes bounds a console form: a few ids and filter fields.
const MaxFormBytes = 64 << 10

// Options configure the console.
type Options struct {
	// Store is the outbox and hand-off state shown; required.
	Store store.Store
	// AdminKeys are the keys that may log in (and call /v1/admin/… with
	// a Bearer token, checked by the server's API keys); none refuses
	// every login, with a message saying what to set.
	AdminKeys []string
	// Handoff stops sessions from the page; nil hides the button.
	Handoff *handoff.Engine
	// Limiters are the Planhat budgets shown; nil shows none.
	Limiters *planhat.Limiters
	// Cache is the read cache whose hit ratio is shown; nil shows none.
	Cache *readcache.Cache
	// History is the deliveries chart's source; nil draws empty charts.
	History *History
	// Sandbox, when set, serves the sandbox chat page.
	Sandbox *Sandbox
	// Version is shown in the footer.
	Version string
	// SessionLifetime bounds a login; 0 means DefaultSessionLifetime.
	SessionLifetime time.Duration
	// StuckAfter is how long an open session may wait for an agent's
	// answer before the page highlights it; 0 means DefaultStuckAfter.
	StuckAfter time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives store failures; nil discards.
	Logger *slog.Logger
}

// DefaultStuckAfter is how long the end user may wait for an agent before
// a session is highlighted as stuck.
const DefaultStuckAfter = 10 * time.Minute

// Console serves the pages and their JSON twins.
type Console struct {
	opts Options
	keys *sessionKeys
	log  *slog.Logger

	logins loginGuard

	// The templates are parsed at the first page, not at start-up: a
	// server whose console nobody opens keeps the memory.
	parse    sync.Once
	pages    map[string]*template.Template
	parseErr error
}

// templates parses the embedded pages once.
func (c *Console) templates() (map[string]*template.Template, error) {
	c.parse.Do(func() { c.pages, c.parseErr = parseTemplates() })
	return c.pages, c.parseErr
}

func parseTemplates() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: parsing the layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, fmt.Errorf("console: parsing %s: %w", name, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// New checks opts and parses the embedded templates.
func New(opts Options) (*Console, error) {
	if opts.Store == nil {
		return nil, errors.New("console: Options.Store is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = DefaultSessionLifetime
	}
	if opts.StuckAfter <= 0 {
		opts.StuckAfter = DefaultStuckAfter
	}
	c := &Console{opts: opts, keys: newSessionKeys(opts.AdminKeys),
		log: cmp.Or(opts.Logger, slog.New(slog.DiscardHandler))}
	return c, nil
}

// Door returns the console's routes for the server: the pages under
// /console, and the JSON under /v1/admin/ behind the API keys.
func (c *Console) Door() httpapi.Door {
	static, _ := fs.Sub(staticFS, "static")
	routes := []httpapi.Route{
		{Pattern: "GET /console", Handler: c.page(c.overview)},
		{Pattern: "GET /console/{$}", Handler: c.page(c.overview)},
		{Pattern: "GET /console/login", Handler: c.headers(http.HandlerFunc(c.loginForm))},
		{Pattern: "POST /console/login", Handler: c.headers(http.HandlerFunc(c.login)), MaxBodyBytes: MaxFormBytes},
		{Pattern: "POST /console/logout", Handler: c.action(c.logout), MaxBodyBytes: MaxFormBytes},
		{Pattern: "GET /console/static/", Handler: c.headers(http.StripPrefix("/console/static/", staticHandler(static)))},
		{Pattern: "GET /console/outbox", Handler: c.page(c.outboxPage)},
		{Pattern: "GET /console/outbox/{id}", Handler: c.page(c.itemPage)},
		{Pattern: "POST /console/outbox/retry", Handler: c.action(c.change("retry")), MaxBodyBytes: MaxFormBytes},
		{Pattern: "POST /console/outbox/discard", Handler: c.action(c.change("discard")), MaxBodyBytes: MaxFormBytes},
		{Pattern: "GET /console/handoffs", Handler: c.page(c.handoffsPage)},
		{Pattern: "POST /console/handoffs/{chatId}/stop", Handler: c.action(c.stopSession), MaxBodyBytes: MaxFormBytes},
		{Pattern: "/console/{rest...}", Handler: c.headers(http.HandlerFunc(c.notFound))},

		{Pattern: "GET /v1/admin/overview", Handler: http.HandlerFunc(c.overviewJSON), NeedsAPIKey: true},
		{Pattern: "GET /v1/admin/handoffs", Handler: http.HandlerFunc(c.handoffsJSON), NeedsAPIKey: true},
		{Pattern: "POST /v1/admin/handoffs/{chatId}/stop", Handler: http.HandlerFunc(c.stopSessionJSON), NeedsAPIKey: true, MaxBodyBytes: MaxFormBytes},
	}
	if c.opts.Sandbox != nil {
		routes = append(routes,
			httpapi.Route{Pattern: "GET /console/sandbox", Handler: c.page(c.sandboxPage)},
			httpapi.Route{Pattern: "POST /console/sandbox/say", Handler: c.action(c.sandboxSay), MaxBodyBytes: MaxFormBytes},
			httpapi.Route{Pattern: "POST /console/sandbox/reply", Handler: c.action(c.sandboxReply), MaxBodyBytes: MaxFormBytes},
			httpapi.Route{Pattern: "POST /console/sandbox/complete", Handler: c.action(c.sandboxComplete), MaxBodyBytes: MaxFormBytes},
			httpapi.Route{Pattern: "POST /console/sandbox/new", Handler: c.action(c.sandboxNew), MaxBodyBytes: MaxFormBytes},
		)
	}
	return httpapi.Door{Name: "console", Hint: "The operator console is at /console", Routes: routes}
}

// staticHandler serves the embedded files with a short cache lifetime:
// they change only with the binary.
func staticHandler(files fs.FS) http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "private, max-age=300")
		fileServer.ServeHTTP(w, r)
	})
}

// headers sets the security headers of every console answer.
func (c *Console) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/console/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// requestSession returns the request's valid session, if any.
func (c *Console) requestSession(r *http.Request) (session, bool) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return session{}, false
	}
	s, err := c.keys.verify(ck.Value, c.opts.Now())
	return s, err == nil
}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string
	CSRF    string
	Sandbox bool
	Version string
	// Refresh, when positive, asks the page's script to reload the main
	// part every so many seconds.
	Refresh int
	Notice  string
	Error   string
	Data    any
}

// pageFunc builds a page: its template name and view, or an error to show.
type pageFunc func(r *http.Request, v *view) (string, error)

// page serves a GET page behind the login.
func (c *Console) page(fn pageFunc) http.Handler {
	return c.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.requestSession(r)
		if !ok {
			http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		v := &view{CSRF: s.csrf(), Sandbox: c.opts.Sandbox != nil, Version: c.opts.Version, Notice: notice(r.URL.Query())}
		name, err := fn(r, v)
		if err != nil {
			var ue *userError
			if errors.As(err, &ue) {
				w.WriteHeader(ue.status)
				v.Error = ue.msg
				if name == "" {
					name = "message"
					v.Title = "Cannot show this page"
				}
			} else {
				c.log.Error("console: building a page failed", "path", r.URL.Path, "request_id", httpapi.RequestID(r.Context()), "error", err.Error())
				w.WriteHeader(http.StatusInternalServerError)
				name, v.Title = "message", "Something went wrong"
				v.Error = "The store failed while building this page; reload it, and if it persists look in planbridge's log for request id " + httpapi.RequestID(r.Context()) + "."
			}
		}
		c.render(w, name, v)
	}))
}

// actionFunc changes something and returns where to go next.
type actionFunc func(w http.ResponseWriter, r *http.Request, s session) (redirect string, err error)

// action serves a POST form behind the login and the CSRF token.
func (c *Console) action(fn actionFunc) http.Handler {
	return c.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.requestSession(r)
		if !ok {
			c.fail(w, http.StatusUnauthorized, "Your console session has ended", "Log in again at /console/login; nothing was changed.")
			return
		}
		if err := parseForm(r); err != nil {
			c.fail(w, http.StatusBadRequest, "The form could not be read", err.Error()+" Nothing was changed.")
			return
		}
		if !sameOrigin(r) || !tokenEqual(r.PostForm.Get("csrf"), s.csrf()) {
			c.fail(w, http.StatusForbidden, "The form was refused", "It did not carry this session's anti-forgery token (a form from another site, or a page older than your login). Reload the page and submit it again; nothing was changed.")
			return
		}
		to, err := fn(w, r, s)
		if err != nil {
			var ue *userError
			if errors.As(err, &ue) {
				c.fail(w, ue.status, "That did not work", ue.msg)
				return
			}
			c.log.Error("console: an action failed", "path", r.URL.Path, "request_id", httpapi.RequestID(r.Context()), "error", err.Error())
			c.fail(w, http.StatusInternalServerError, "Something went wrong", "The store failed; nothing may have changed. Retry, and if it persists look in planbridge's log for request id "+httpapi.RequestID(r.Context())+".")
			return
		}
		if to != "" {
			http.Redirect(w, r, to, http.StatusSeeOther)
		}
	}))
}

// parseForm reads an urlencoded form, refusing other content types, so a
// JSON or multipart body is told what the console expects.
func parseForm(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return fmt.Errorf("the console's forms are sent as application/x-www-form-urlencoded, not %q.", truncate(ct, 60))
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("the form is larger than %d bytes.", mbe.Limit)
		}
		return errors.New("the form is not valid URL-encoded data.")
	}
	return nil
}

// userError is a problem the operator can fix, shown as it is.
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &userError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func (c *Console) fail(w http.ResponseWriter, status int, title, msg string) {
	w.WriteHeader(status)
	c.render(w, "message", &view{Title: title, Error: msg, Version: c.opts.Version, Sandbox: c.opts.Sandbox != nil})
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.fail(w, http.StatusNotFound, "No such console page", "The console has Overview (/console), Outbox (/console/outbox) and Hand-offs (/console/handoffs).")
}

// render executes a page into a buffer first, so a template error never
// sends half a page.
func (c *Console) render(w http.ResponseWriter, name string, v *view) {
	pages, err := c.templates()
	if err != nil {
		c.log.Error("console: the templates do not parse", "error", err.Error())
		http.Error(w, "console: the page templates do not parse; see planbridge's log", http.StatusInternalServerError)
		return
	}
	t := pages[name]
	var buf bytes.Buffer
	if t == nil {
		c.log.Error("console: no such template", "name", name)
		http.Error(w, "console: page template missing", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("console: rendering failed", "page", name, "error", err.Error())
		http.Error(w, "console: the page could not be rendered; see planbridge's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// safeNext keeps a post-login redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/console"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/console"
	}
	return next
}

type loginView struct {
	Next    string
	Token   string
	NoKeys  bool
	Refused bool
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	c.showLogin(w, r, http.StatusOK, false)
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, refused bool) {
	token := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/console/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 3600})
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostForm.Get("next")
	}
	v := &view{Title: "Log in", Nav: "login", Version: c.opts.Version,
		Data: loginView{Next: safeNext(next), Token: token, NoKeys: len(c.keys.keys) == 0, Refused: refused}}
	w.WriteHeader(status)
	c.render(w, "login", v)
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		c.fail(w, http.StatusBadRequest, "The form could not be read", err.Error())
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || !sameOrigin(r) || !tokenEqual(r.PostForm.Get("token"), ck.Value) {
		c.fail(w, http.StatusForbidden, "The login form was refused", "It did not come from this console's login page (or the page is more than an hour old). Open /console/login and log in again.")
		return
	}
	host := remoteHost(r)
	if !c.logins.allow(host, c.opts.Now()) {
		w.Header().Set("Retry-After", strconv.Itoa(int(loginWindow/time.Second)))
		c.fail(w, http.StatusTooManyRequests, "Too many failed logins", fmt.Sprintf("This address has failed to log in %d times within %s; wait a minute and try again with one of the server's PLANBRIDGE_API_KEYS.", maxLoginFailures, loginWindow))
		return
	}
	key := c.keys.match(strings.TrimSpace(r.PostForm.Get("key")))
	if key == nil {
		c.logins.failed(host, c.opts.Now())
		c.log.Warn("console: a login was refused", "remote", host, "request_id", httpapi.RequestID(r.Context()))
		c.showLogin(w, r, http.StatusUnauthorized, true)
		return
	}
	value, s := c.keys.issue(key, c.opts.Now().Add(c.opts.SessionLifetime))
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: value, Path: "/console", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, Expires: s.expires})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/console/login", MaxAge: -1})
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, _ session) (string, error) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/console", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	return "/console/login", nil
}

// notice turns a redirect's done= and n= into the sentence shown on top.
func notice(q url.Values) string {
	n, _ := strconv.Atoi(q.Get("n"))
	switch q.Get("done") {
	case "retry":
		return fmt.Sprintf("%d item(s) made available again; the outbox delivers them within seconds.", n)
	case "discard":
		return fmt.Sprintf("%d item(s) discarded; they will not be delivered.", n)
	case "stopped":
		return "The session was stopped: the agent was told in the task and the bot takes the chat back."
	}
	return ""
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"the answer could not be encoded"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// storeCtx bounds a page's store reads, so a stuck database answers the
// operator with an error instead of a hung tab.
func storeCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 10*time.Second)
}
