package planfixemu

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/planbridge/planbridge/internal/faults"
	"github.com/planbridge/planbridge/planfix"
)

// Contact is a Planfix contact created through the chat API, unique per
// (providerId, contactId).
type Contact struct {
	Number     int64  `json:"number"`
	ProviderID string `json:"providerId"`
	ContactID  string `json:"contactId"`
	Name       string `json:"name"`
	LastName   string `json:"lastName,omitempty"`
	Ico        string `json:"ico,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Data       string `json:"data,omitempty"`
}

// Task is a conversation task bound to a chat.
type Task struct {
	Number        int64             `json:"number"`
	ProviderID    string            `json:"providerId"`
	ChatID        string            `json:"chatId"`
	Channel       string            `json:"channel,omitempty"`
	ContactNumber int64             `json:"contactNumber"`
	Name          string            `json:"name"`
	Active        bool              `json:"active"`
	Deleted       bool              `json:"deleted,omitempty"`
	CustomFields  map[string]string `json:"customFields,omitempty"`
	// Description holds the previous task's history when this task replaced
	// a closed one.
	Description string `json:"description,omitempty"`
	// Renames counts the later messages whose "title" renamed the task
	// after its creation, including ones that repeated the same title.
	Renames  int       `json:"renames"`
	Comments []Comment `json:"comments"`
}

// Comment directions.
const (
	// In is a message from the contact (chat → Planfix).
	In = "in"
	// Out is a message to the contact: an agent's reply or an isEcho message.
	Out = "out"
)

// Comment is one message in a task.
type Comment struct {
	ID          int64                `json:"id"`
	Direction   string               `json:"direction"`
	IsEcho      bool                 `json:"isEcho,omitempty"`
	Author      string               `json:"author"`
	Text        string               `json:"text"`
	Attachments []planfix.Attachment `json:"attachments,omitempty"`
	FromType    string               `json:"fromType"`
	// MessageID is set on agent replies: the id sent to the chat.
	MessageID string `json:"messageId,omitempty"`
	// DeliveryFailed is set when the chat refused the reply (400/401).
	DeliveryFailed bool `json:"deliveryFailed,omitempty"`
	// AttachmentErrors lists attachments Planfix could not download
	// (with WithAttachmentFetch).
	AttachmentErrors []string `json:"attachmentErrors,omitempty"`
}

// StatusReport is one messageStatus the chat sent.
type StatusReport struct {
	MessageID string `json:"messageId"`
	// Status is how Planfix reads it: error, read, or sent for anything else.
	Status string `json:"status"`
	Raw    string `json:"raw"`
	Text   string `json:"text,omitempty"`
	// Known is false when no agent message had this messageId.
	Known bool `json:"known"`
}

// Request is one call to /webchat/api as received, for assertions and
// golden files. Body is the raw body, tokens included: test data only.
type Request struct {
	Path        string       `json:"path"`
	ContentType string       `json:"contentType"`
	Command     string       `json:"cmd"`
	Body        string       `json:"-"`
	Form        planfix.Form `json:"-"`
	Status      int          `json:"status"`
	Answer      string       `json:"answer"`
}

type apiError struct {
	status int
	msg    string
}

var (
	errInvalidParams  = &apiError{http.StatusBadRequest, "Invalid parameters"}
	errInvalidToken   = &apiError{http.StatusUnauthorized, "Invalid token"}
	errTaskNotFound   = &apiError{http.StatusBadRequest, "task not found"}
	errUnknownContact = &apiError{http.StatusBadRequest, "unknown contact"}
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/webchat/api", s.serveAPI(true))
	mux.HandleFunc("/custom-domain/webchat/api", s.serveAPI(false))
	mux.HandleFunc("GET /file/{hash}", s.serveFile)
	mux.HandleFunc("GET /{$}", s.serveAvatar)
	s.controlRoutes(mux)
	return mux
}

const maxAPIBody = 1 << 20

func (s *Server) serveAPI(redirectable bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		latency := s.latency
		drop := s.dropNext > 0
		if drop {
			s.dropNext--
		}
		var fail, redirect int
		if len(s.failNext) > 0 {
			fail, s.failNext = s.failNext[0], s.failNext[1:]
		}
		if redirectable {
			redirect = s.redirect
		}
		s.mu.Unlock()
		location := s.CustomDomainEndpoint()
		// Rules set over HTTP come after the Go API's, which tests expect
		// to take effect on the very next call.
		var rule faults.Fault
		if !drop && fail == 0 && redirect == 0 {
			if f, ok := s.faults.Take(r.URL.Path); ok {
				rule = f
				latency += f.Latency
				drop, fail = f.Drop, f.Status
				if f.Redirect != "" {
					redirect, location = f.RedirectStatus, f.Redirect
				}
			}
		}
		// Read first: the server notices a client that gave up only once
		// the body is consumed.
		raw, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
		if drop {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		rec := Request{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: string(raw)}
		status, answer := s.answer(r, raw, readErr, fail, redirect, &rec)
		rec.Status, rec.Answer = status, string(answer)
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		s.cfg.logger.Debug("planfixemu: webchat api", slog.String("cmd", rec.Command), slog.Int("status", status))
		switch {
		case status >= 300 && status < 400:
			w.Header().Set("Location", location)
			w.WriteHeader(status)
		case fail != 0:
			if secs := rule.RetryAfterSeconds(); secs > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(secs))
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			_, _ = w.Write(answer)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(answer)
		}
	}
}

// answer decides the status and body of one API call.
func (s *Server) answer(r *http.Request, raw []byte, readErr error, fail, redirect int, rec *Request) (int, []byte) {
	if redirect != 0 {
		return redirect, nil
	}
	if fail != 0 {
		return fail, []byte(fmt.Sprintf("<html><body><h1>%d %s</h1></body></html>", fail, http.StatusText(fail)))
	}
	if r.Method != http.MethodPost {
		return errJSON(errInvalidParams)
	}
	if readErr != nil {
		return errJSON(errInvalidParams)
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		// JSON bodies broke real clients' first attempts: Planfix reads forms only.
		return errJSON(errInvalidParams)
	}
	q := r.URL.Query()
	if q.Has("planfix_token") || q.Has("token") {
		return errJSON(errInvalidParams)
	}
	f, err := planfix.ParseForm(strings.TrimSpace(string(raw)))
	if err != nil {
		return errJSON(errInvalidParams)
	}
	rec.Form = f
	rec.Command = f.Get("cmd")
	if s.cfg.lastAttachmentWins {
		f = lastAttachmentOnly(f)
	}
	var fetchErrs []string
	if s.cfg.fetchAttachments > 0 && rec.Command == "newMessage" {
		fetchErrs = fetchAll(r.Context(), f.Attachments(), s.cfg.fetchAttachments)
	}
	tok := f.Get("planfix_token")
	if tok == "" && s.cfg.acceptTokenField {
		tok = f.Get("token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tokens.Match(tok) {
		return errJSON(errInvalidToken)
	}
	pid := f.Get("providerId")
	if pid == "" || strings.Contains(pid, "~") || pid != s.cfg.providerID {
		return errJSON(errInvalidParams)
	}
	var body []byte
	var aerr *apiError
	switch rec.Command {
	case "newMessage":
		aerr = s.newMessage(f, fetchErrs)
	case "getTask":
		body, aerr = s.getTask(f)
	case "getContact":
		body, aerr = s.getContact(f)
	case "updateContact":
		aerr = s.updateContact(f)
	case "messageStatus":
		aerr = s.messageStatus(f)
	default:
		aerr = errInvalidParams
	}
	if aerr != nil {
		return errJSON(aerr)
	}
	if body == nil && s.cfg.objectBodies {
		body = []byte("{}")
	}
	return http.StatusOK, body
}

func errJSON(e *apiError) (int, []byte) {
	b, _ := json.Marshal(map[string]string{"error": e.msg})
	return e.status, b
}

// lastAttachmentOnly mimics PHP's parse_str: repeated attachments[name]
// and attachments[url] collapse to their last values.
func lastAttachmentOnly(f planfix.Form) planfix.Form {
	var out planfix.Form
	var name, url string
	var hasName, hasURL bool
	for _, p := range f {
		switch p.Key {
		case "attachments[name]":
			name, hasName = p.Value, true
		case "attachments[url]":
			url, hasURL = p.Value, true
		default:
			out = append(out, p)
		}
	}
	if hasName {
		out.Add("attachments[name]", name)
	}
	if hasURL {
		out.Add("attachments[url]", url)
	}
	return out
}

// parseIsEcho reads isEcho the way the configured server stack would.
func (s *Server) parseIsEcho(f planfix.Form) (bool, *apiError) {
	if !f.Has("isEcho") {
		return false, nil
	}
	v := f.Get("isEcho")
	if s.cfg.strictIsEcho {
		switch strings.ToLower(v) {
		case "1", "true":
			return true, nil
		case "0", "false", "":
			return false, nil
		}
		return false, errInvalidParams
	}
	return v != "" && v != "0", nil // PHP truthiness: "false" is true
}

// newMessage implements the task/contact/comment semantics; s.mu is held.
func (s *Server) newMessage(f planfix.Form, fetchErrs []string) *apiError {
	chatID, contactID, name := f.Get("chatId"), f.Get("contactId"), f.Get("contactName")
	text := f.Get("message")
	atts := f.Attachments()
	if chatID == "" || contactID == "" || name == "" {
		return errInvalidParams
	}
	if strings.TrimSpace(text) == "" && !s.cfg.allowEmptyMessage {
		return errInvalidParams
	}
	if s.cfg.maxMessageLen > 0 && utf8.RuneCountInString(text) > s.cfg.maxMessageLen {
		return errInvalidParams
	}
	echo, aerr := s.parseIsEcho(f)
	if aerr != nil {
		return aerr
	}
	ct := s.upsertContact(f, false)
	t, created := s.openTaskLocked(chatID, f.Get("channel"), f.Get("title"), ct, true)
	if title := f.Get("title"); !created && title != "" && s.cfg.titleRenames {
		// Planfix rewrites the name on every message that carries a title,
		// even an unchanged one (overwriting an agent's own renaming), so
		// every later title counts: a chat that sends it once shows 0.
		t.Name = s.taskName(title, ct)
		t.Renames++
	}
	if created || s.cfg.dataAlways {
		for k, v := range f.Data() {
			if s.cfg.customFields == nil || s.cfg.customFields[k] {
				if t.CustomFields == nil {
					t.CustomFields = map[string]string{}
				}
				t.CustomFields[k] = v
			}
		}
	}
	c := Comment{Direction: In, Author: ct.fullName(), Text: text, Attachments: atts, FromType: "WebChatApi", AttachmentErrors: fetchErrs}
	if echo {
		c.Direction, c.IsEcho = Out, true
		switch ue := f.Get("userEmail"); {
		case ue != "" && s.cfg.employees[ue]:
			c.Author = ue
		case s.cfg.defaultAuthor != "":
			c.Author = s.cfg.defaultAuthor
		default:
			c.Author = "integrator"
		}
	}
	s.addCommentLocked(t, c)
	return nil
}

// openTaskLocked returns the chat's current task, first opening a new one
// (created) when the chat has none, its task was deleted, or it is closed
// and Planfix is set to open a new task then. The new task is named after
// title, or the contact when title is empty; withHistory copies the
// previous task's comments into its description, as a newMessage does.
// s.mu is held.
func (s *Server) openTaskLocked(chatID, channel, title string, ct *Contact, withHistory bool) (t *Task, created bool) {
	prev := s.current[chatID]
	if prev != nil && !prev.Deleted && (prev.Active || !s.cfg.newTaskIfNoActive) {
		return prev, false
	}
	t = &Task{
		Number: s.nextTask, ProviderID: s.cfg.providerID, ChatID: chatID, Channel: channel,
		ContactNumber: ct.Number, Active: true, Comments: []Comment{},
	}
	s.nextTask++
	t.Name = s.taskName(title, ct)
	if withHistory && prev != nil {
		t.Description = history(prev)
	}
	s.tasks = append(s.tasks, t)
	s.current[chatID] = t
	return t, true
}

// addCommentLocked numbers c and appends it to t; s.mu is held.
func (s *Server) addCommentLocked(t *Task, c Comment) {
	c.ID = s.nextComment
	s.nextComment++
	t.Comments = append(t.Comments, c)
}

func (c *Contact) fullName() string { return strings.TrimSpace(c.Name + " " + c.LastName) }

func (s *Server) taskName(title string, ct *Contact) string {
	base := title
	if base == "" {
		base = ct.fullName()
	}
	return base + *s.cfg.taskNameSuffix
}

func history(t *Task) string {
	var b strings.Builder
	fmt.Fprintf(&b, "History of task #%d:\n", t.Number)
	for _, c := range t.Comments {
		fmt.Fprintf(&b, "%s: %s\n", c.Author, c.Text)
	}
	return b.String()
}

// upsertContact creates the contact or updates it per the mode; force
// (updateContact) overwrites every field sent.
func (s *Server) upsertContact(f planfix.Form, force bool) *Contact {
	id := f.Get("contactId")
	ct := s.contactByID(id)
	if ct == nil {
		ct = s.newContactLocked(id)
		force = true
	}
	mode := s.cfg.contactUpdates
	if force {
		mode = UpdateAllFields
	}
	set := func(dst *string, key string) {
		v := f.Get(key)
		switch {
		case v == "" || mode == UpdateNever:
		case mode == UpdateAllFields || *dst == "":
			*dst = v
		}
	}
	set(&ct.Name, "contactName")
	set(&ct.LastName, "contactLastName")
	set(&ct.Ico, "contactIco")
	set(&ct.Email, "contactEmail")
	set(&ct.Phone, "contactPhone")
	set(&ct.Data, "contactData")
	return ct
}

// newContactLocked numbers and registers an empty card for contactID;
// s.mu is held.
func (s *Server) newContactLocked(contactID string) *Contact {
	ct := &Contact{Number: s.nextContact, ProviderID: s.cfg.providerID, ContactID: contactID}
	s.nextContact++
	s.contacts[contactID] = ct
	return ct
}

func (s *Server) getTask(f planfix.Form) ([]byte, *apiError) {
	t := s.current[f.Get("chatId")]
	if f.Get("chatId") == "" {
		return nil, errInvalidParams
	}
	if t == nil || t.Deleted {
		return nil, errTaskNotFound
	}
	return numberAnswer(s.cfg.getTaskShape, t.Number, &t.Active), nil
}

func (s *Server) getContact(f planfix.Form) ([]byte, *apiError) {
	if f.Get("contactId") == "" {
		return nil, errInvalidParams
	}
	ct := s.contactByID(f.Get("contactId"))
	if ct == nil {
		return nil, errUnknownContact
	}
	return numberAnswer(s.cfg.getContactShape, ct.Number, nil), nil
}

func numberAnswer(shape AnswerShape, n int64, active *bool) []byte {
	inner := map[string]any{"number": n}
	if active != nil {
		inner["statusIsActive"] = *active
	}
	var v any
	switch shape {
	case ShapeTopLevel:
		v = inner
	case ShapeDataObject:
		v = map[string]any{"data": inner}
	default:
		s, _ := json.Marshal(inner)
		v = map[string]any{"data": string(s)}
	}
	b, _ := json.Marshal(v)
	return b
}

func (s *Server) updateContact(f planfix.Form) *apiError {
	if f.Get("contactId") == "" || f.Get("contactName") == "" {
		return errInvalidParams
	}
	s.upsertContact(f, true)
	return nil
}

func (s *Server) messageStatus(f planfix.Form) *apiError {
	id, st := f.Get("messageId"), f.Get("messageStatus")
	if id == "" || st == "" {
		return errInvalidParams
	}
	norm := st
	if st != "error" && st != "read" {
		norm = "sent"
	}
	_, known := s.sent[id]
	s.statuses[id] = append(s.statuses[id], StatusReport{MessageID: id, Status: norm, Raw: st, Text: f.Get("messageStatusText"), Known: known})
	return nil
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	name, ok := s.files[r.PathValue("hash")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, _ = io.WriteString(w, "emulated Planfix file "+name+"\n")
}

// avatarPNG is a 1×1 PNG served as every employee's picture.
var avatarPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

func (s *Server) serveAvatar(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("action") != "getuserpic" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(avatarPNG)
}

// Tasks returns copies of all tasks in creation order.
func (s *Server) Tasks() []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Task, 0, len(s.tasks))
	for _, t := range s.tasks {
		out = append(out, t.clone())
	}
	return out
}

// Task returns a copy of the task with this number.
func (s *Server) Task(number int64) (Task, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.taskByNumber(number); t != nil {
		return t.clone(), true
	}
	return Task{}, false
}

// TaskForChat returns a copy of the chat's current task.
func (s *Server) TaskForChat(chatID string) (Task, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.current[chatID]; t != nil {
		return t.clone(), true
	}
	return Task{}, false
}

func (t *Task) clone() Task {
	c := *t
	c.Comments = slices.Clone(t.Comments)
	c.CustomFields = maps.Clone(t.CustomFields)
	for i := range c.Comments {
		c.Comments[i].Attachments = slices.Clone(c.Comments[i].Attachments)
	}
	return c
}

func (s *Server) taskByNumber(n int64) *Task {
	for _, t := range s.tasks {
		if t.Number == n {
			return t
		}
	}
	return nil
}

// Contacts returns copies of all contacts ordered by number.
func (s *Server) Contacts() []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Contact, 0, len(s.contacts))
	for _, c := range s.contacts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Contact) int { return int(a.Number - b.Number) })
	return out
}

// Contact returns the contact with the chat side's contactID; after
// MergeContacts, a merged-away id finds the surviving contact.
func (s *Server) Contact(contactID string) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.contactByID(contactID); c != nil {
		return *c, true
	}
	return Contact{}, false
}

// contactByID finds the card a chat-side contactId belongs to, following
// merges; s.mu is held.
func (s *Server) contactByID(contactID string) *Contact {
	if to, ok := s.merged[contactID]; ok {
		contactID = to
	}
	return s.contacts[contactID]
}

// MergeContacts merges the card of contactId from into the card of
// contactId to, as an agent merging duplicates in Planfix does. The
// surviving card keeps its number and fields and takes from's values only
// for fields it lacks; from's tasks move to it, and from's card is gone
// from Contacts. The chat still knows the from id, so later newMessage,
// getContact and updateContact calls with it reach the survivor (getContact
// answers its number) instead of creating a new card. It fails for an id
// without a card of its own (unknown, or merged away before) and for
// from == to.
func (s *Server) MergeContacts(from, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range []string{from, to} {
		if s.contacts[id] != nil {
			continue
		}
		if into, ok := s.merged[id]; ok {
			return fmt.Errorf("planfixemu: MergeContacts: contact %q was already merged into %q", id, into)
		}
		return fmt.Errorf("planfixemu: MergeContacts: no contact with contactId %q; list them with Contacts()", id)
	}
	if from == to {
		return fmt.Errorf("planfixemu: MergeContacts: cannot merge contact %q into itself", from)
	}
	src, dst := s.contacts[from], s.contacts[to]
	for _, f := range []struct{ dst, src *string }{
		{&dst.Name, &src.Name}, {&dst.LastName, &src.LastName}, {&dst.Ico, &src.Ico},
		{&dst.Email, &src.Email}, {&dst.Phone, &src.Phone}, {&dst.Data, &src.Data},
	} {
		if *f.dst == "" {
			*f.dst = *f.src
		}
	}
	for _, t := range s.tasks {
		if t.ContactNumber == src.Number {
			t.ContactNumber = dst.Number
		}
	}
	delete(s.contacts, from)
	// Ids merged into from earlier now lead to the new survivor too.
	for id, into := range s.merged {
		if into == from {
			s.merged[id] = to
		}
	}
	s.merged[from] = to
	return nil
}

// CloseTask completes a task, as an agent closing the conversation does.
func (s *Server) CloseTask(number int64) error {
	return s.setTask(number, func(t *Task) { t.Active = false })
}

// SetTaskActive reopens (true) or completes (false) a task.
func (s *Server) SetTaskActive(number int64, active bool) error {
	return s.setTask(number, func(t *Task) { t.Active = active })
}

// DeleteTask deletes a task for good; the chat's next message opens a new one.
func (s *Server) DeleteTask(number int64) error {
	return s.setTask(number, func(t *Task) { t.Deleted, t.Active = true, false })
}

func (s *Server) setTask(number int64, f func(*Task)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.taskByNumber(number)
	if t == nil {
		return fmt.Errorf("planfixemu: no task #%d; list them with Tasks()", number)
	}
	f(t)
	return nil
}

// MessageStatuses returns every messageStatus reported for messageID, in order.
func (s *Server) MessageStatuses(messageID string) []StatusReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statuses[messageID])
}

// Requests returns every /webchat/api call received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Deliveries returns every post to the chat URL, in order.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

// itoa formats ids.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fetchAll downloads each attachment anonymously, as Planfix does, and
// returns one line per failure.
func fetchAll(ctx context.Context, atts []planfix.Attachment, timeout time.Duration) []string {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Timeout: timeout, Transport: tr}
	var errs []string
	for _, a := range atts {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: bad URL", a.Name))
			continue
		}
		resp, err := hc.Do(req)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", a.Name, err))
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 32<<20))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			errs = append(errs, fmt.Sprintf("%s: HTTP %d", a.Name, resp.StatusCode))
		}
	}
	return errs
}
