// Package planfixemu is an in-memory emulator of Planfix's chat API for
// tests and demos: it serves POST /webchat/api like a Planfix account
// (tasks, contacts, comments, messageStatus bookkeeping) and plays the
// agents, posting their replies to the chat URL with the chat token.
//
// Behaviours the public documentation leaves open are switches (Options);
// the defaults are the pessimistic ones seen in the wild, e.g. getTask
// answers with "data" as a JSON-encoded string and "title" renames the task
// on every message.
//
// Faults come from the Go API (FailNext, DropNext, SetLatency, SetRedirect)
// or, for scripts outside Go, as JSON rules at /_emulator/faults (POST to
// add, GET to list, DELETE to clear), which apply to /webchat/api and its
// custom-domain alias: {"status":502,"count":3,"retryAfter":"2s"},
// {"drop":true}, {"latency":"2s"} or {"redirect":URL,"redirectStatus":308}.
package planfixemu

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/planbridge/planbridge/internal/faults"
	"github.com/planbridge/planbridge/internal/secret"
)

// Defaults for a Server started without options.
const (
	DefaultPlanfixToken = "planfix-test-token"
	DefaultProviderID   = "planbridge"
	DefaultChatToken    = "chat-test-token"
)

// AnswerShape selects how getTask and getContact wrap the number.
type AnswerShape int

// The shapes seen in documentation and in the wild.
const (
	// ShapeDataString is {"data":"{\"number\":N,\"statusIsActive\":B}"},
	// observed from real accounts; the default for getTask.
	ShapeDataString AnswerShape = iota
	// ShapeDataObject is {"data":{"number":N}} as the Russian docs say.
	ShapeDataObject
	// ShapeTopLevel is {"number":N} as the English docs say.
	ShapeTopLevel
)

// ContactUpdateMode says what a later newMessage does to an existing contact card.
type ContactUpdateMode int

// Contact update modes; Planfix's real behaviour is undocumented.
const (
	// UpdateEmptyFields fills only fields the card lacks (default).
	UpdateEmptyFields ContactUpdateMode = iota
	// UpdateAllFields overwrites the card with every non-empty field sent.
	UpdateAllFields
	// UpdateNever leaves the card as created; only updateContact changes it.
	UpdateNever
)

// Agent is a Planfix employee who answers chats.
type Agent struct {
	ID       int    `json:"id"`
	Name     string `json:"userName"`
	LastName string `json:"userLastName"`
	Email    string `json:"email"`
}

type config struct {
	planfixTokens       []string
	providerID          string
	chatURL, chatToken  string
	integrationName     string
	taskNameSuffix      *string // nil: " (WebChat, <integrationName>)"
	showWriteButton     bool
	account             string
	baseURL             string
	getTaskShape        AnswerShape
	getContactShape     AnswerShape
	newTaskIfNoActive   bool
	titleRenames        bool
	allowEmptyMessage   bool
	strictIsEcho        bool
	lastAttachmentWins  bool
	acceptTokenField    bool
	objectBodies        bool
	contactUpdates      ContactUpdateMode
	customFields        map[string]bool
	dataAlways          bool
	maxMessageLen       int
	chatTimeout         time.Duration
	strictReplyAnswers  bool
	duplicateDeliveries int
	agent               Agent
	employees           map[string]bool
	defaultAuthor       string
	chatClient          *http.Client
	logger              *slog.Logger
	withIntegration     bool
	deliveryRetries     int
	retryDelay          time.Duration
	fetchAttachments    time.Duration
	htmlEntities        bool
}

// Option configures a Server.
type Option func(*config)

// WithPlanfixToken sets the accepted planfix_token values (the first is
// Server.PlanfixToken); several allow testing a rotation.
func WithPlanfixToken(tokens ...string) Option {
	return func(c *config) { c.planfixTokens = tokens }
}

// WithProviderID sets the integration's providerId.
func WithProviderID(id string) Option { return func(c *config) { c.providerID = id } }

// WithChat sets the chat URL and chat token the agents post to.
func WithChat(url, token string) Option {
	return func(c *config) { c.chatURL, c.chatToken = url, token }
}

// WithIntegrationName sets the name in the default task-name suffix
// " (WebChat, <name>)" and the undocumented "integration" field; default
// the providerId.
func WithIntegrationName(name string) Option { return func(c *config) { c.integrationName = name } }

// WithTaskNameSuffix replaces the suffix appended to every task name, on
// creation and on title renames (default " (WebChat, <integration name>)";
// "" for none).
func WithTaskNameSuffix(suffix string) Option {
	return func(c *config) { c.taskNameSuffix = &suffix }
}

// WithShowWriteButton switches the integration's "Write" button on contact
// cards (default on); when off, agents cannot write first, so WriteFirst and
// POST /_emulator/write-first fail with ErrWriteButtonHidden.
func WithShowWriteButton(on bool) Option { return func(c *config) { c.showWriteButton = on } }

// WithoutIntegrationField stops sending the undocumented "integration" field.
func WithoutIntegrationField() Option { return func(c *config) { c.withIntegration = false } }

// WithBaseURL sets the public base URL (file and avatar links, redirect
// targets) when the handler is served standalone.
func WithBaseURL(u string) Option { return func(c *config) { c.baseURL = u } }

// WithGetTaskShape selects the getTask answer shape (default ShapeDataString).
func WithGetTaskShape(s AnswerShape) Option { return func(c *config) { c.getTaskShape = s } }

// WithGetContactShape selects the getContact answer shape (default ShapeDataObject).
func WithGetContactShape(s AnswerShape) Option { return func(c *config) { c.getContactShape = s } }

// WithCreateNewTaskIfNoActive switches Planfix's option "create a new task
// if there are no active conversation tasks" (default on).
func WithCreateNewTaskIfNoActive(on bool) Option {
	return func(c *config) { c.newTaskIfNoActive = on }
}

// WithTitleRenamesTask switches the observed quirk that every "title"
// renames the task (default on).
func WithTitleRenamesTask(on bool) Option { return func(c *config) { c.titleRenames = on } }

// WithEmptyMessageAllowed accepts a newMessage with an empty message
// (default: 400, as implementations assume).
func WithEmptyMessageAllowed(on bool) Option { return func(c *config) { c.allowEmptyMessage = on } }

// WithStrictIsEcho parses isEcho strictly (1/true/0/false, else 400)
// instead of PHP truthiness, where "false" counts as true (the default).
func WithStrictIsEcho(on bool) Option { return func(c *config) { c.strictIsEcho = on } }

// WithLastAttachmentWins mimics PHP's default form parsing, which keeps only
// the last attachments[name]/attachments[url].
func WithLastAttachmentWins(on bool) Option { return func(c *config) { c.lastAttachmentWins = on } }

// WithTokenFieldAlias also accepts the token in a field named "token", as
// Planfix's overview page (but no command table) says.
func WithTokenFieldAlias(on bool) Option { return func(c *config) { c.acceptTokenField = on } }

// WithObjectBodies answers "{}" instead of an empty body on success of
// newMessage, updateContact and messageStatus.
func WithObjectBodies(on bool) Option { return func(c *config) { c.objectBodies = on } }

// WithContactUpdates sets what a later newMessage does to a contact card.
func WithContactUpdates(m ContactUpdateMode) Option { return func(c *config) { c.contactUpdates = m } }

// WithCustomFields restricts data_<name> to these task fields; by default
// every name is accepted.
func WithCustomFields(names ...string) Option {
	return func(c *config) {
		c.customFields = map[string]bool{}
		for _, n := range names {
			c.customFields[n] = true
		}
	}
}

// WithDataOnEveryMessage applies data_<name> on every message, not only
// when the task is created (the default).
func WithDataOnEveryMessage(on bool) Option { return func(c *config) { c.dataAlways = on } }

// WithMaxMessageLength answers 400 to messages longer than n runes (0: no limit).
func WithMaxMessageLength(n int) Option { return func(c *config) { c.maxMessageLen = n } }

// WithChatTimeout bounds each post to the chat URL (default 10 s).
func WithChatTimeout(d time.Duration) Option { return func(c *config) { c.chatTimeout = d } }

// WithStrictReplyAnswers flags any reply answer that is not JSON with
// chatId and contactId as a problem; by default only first messages need
// them, as real Planfix accepts any 200 for replies.
func WithStrictReplyAnswers(on bool) Option { return func(c *config) { c.strictReplyAnswers = on } }

// WithDuplicateDeliveries delivers every agent message n extra times with
// the same messageId, as an at-least-once sender may.
func WithDuplicateDeliveries(n int) Option { return func(c *config) { c.duplicateDeliveries = n } }

// WithAgent sets the default employee who replies.
func WithAgent(a Agent) Option { return func(c *config) { c.agent = a } }

// WithEmployees registers employee emails that may author isEcho messages.
func WithEmployees(emails ...string) Option {
	return func(c *config) {
		for _, e := range emails {
			c.employees[e] = true
		}
	}
}

// WithDefaultAuthor sets the integration's default author of isEcho messages.
func WithDefaultAuthor(email string) Option { return func(c *config) { c.defaultAuthor = email } }

// WithChatHTTPClient sets the client used to post to the chat URL.
func WithChatHTTPClient(hc *http.Client) Option { return func(c *config) { c.chatClient = hc } }

// WithLogger logs every call (tokens redacted).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithDeliveryRetries resends an agent message up to n more times, with the
// same messageId and delay between attempts, when the chat answers 5xx or
// not at all. Whether real Planfix retries is undocumented; default none.
func WithDeliveryRetries(n int, delay time.Duration) Option {
	return func(c *config) { c.deliveryRetries, c.retryDelay = n, delay }
}

// WithAttachmentFetch makes newMessage GET every attachment URL (with this
// timeout) the way Planfix downloads them, recording failures on the
// comment: a check that the chat's URLs are publicly fetchable.
func WithAttachmentFetch(timeout time.Duration) Option {
	return func(c *config) { c.fetchAttachments = timeout }
}

// WithHTMLEntities makes agent messages carry &amp;, &lt; and &gt; entities,
// which some Planfix versions leave in the text.
func WithHTMLEntities(on bool) Option { return func(c *config) { c.htmlEntities = on } }

// Server is the emulated Planfix account with one chat integration.
type Server struct {
	// URL is the base URL ("http://127.0.0.1:port") once started.
	URL string
	// PlanfixToken is the first accepted planfix_token.
	PlanfixToken string
	// ProviderID is the integration's providerId.
	ProviderID string

	cfg     config
	handler http.Handler
	stop    func()     // closes the listener recorded by Attach
	faults  faults.Set // rules set over HTTP: /_emulator/faults

	mu          sync.Mutex
	tokens      *secret.Set
	tasks       []*Task
	current     map[string]*Task    // chatId → current task
	contacts    map[string]*Contact // contactId → contact (one providerId)
	merged      map[string]string   // merged-away contactId → surviving contactId
	statuses    map[string][]StatusReport
	requests    []Request
	deliveries  []Delivery
	files       map[string]string // hash → file name
	sent        map[string]int    // messageId → deliveries so far
	failNext    []int
	dropNext    int
	latency     time.Duration
	redirect    int
	nextTask    int64
	nextContact int64
	nextComment int64
	nextMessage int64
}

// New builds a Server without starting a listener; serve Handler yourself
// and set WithBaseURL to the address it is reached at.
func New(opts ...Option) *Server {
	cfg := config{
		planfixTokens:     []string{DefaultPlanfixToken},
		providerID:        DefaultProviderID,
		chatToken:         DefaultChatToken,
		getContactShape:   ShapeDataObject,
		newTaskIfNoActive: true,
		titleRenames:      true,
		chatTimeout:       10 * time.Second,
		agent:             Agent{ID: 77, Name: "Peter", LastName: "Peterson", Email: "peter@planfix.test"},
		employees:         map[string]bool{},
		account:           "test",
		withIntegration:   true,
		showWriteButton:   true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.integrationName == "" {
		cfg.integrationName = cfg.providerID
	}
	if cfg.taskNameSuffix == nil {
		// Resolved after all options, so WithIntegrationName may come in any order.
		suffix := " (WebChat, " + cfg.integrationName + ")"
		cfg.taskNameSuffix = &suffix
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.chatClient == nil {
		// An own transport: httptest servers closing elsewhere reset
		// http.DefaultTransport's connections under our feet.
		cfg.chatClient = &http.Client{
			Transport:     http.DefaultTransport.(*http.Transport).Clone(),
			Timeout:       cfg.chatTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	cfg.employees[cfg.agent.Email] = true
	s := &Server{
		URL:          cfg.baseURL,
		PlanfixToken: first(cfg.planfixTokens),
		ProviderID:   cfg.providerID,
		cfg:          cfg,
		current:      map[string]*Task{},
		contacts:     map[string]*Contact{},
		merged:       map[string]string{},
		statuses:     map[string][]StatusReport{},
		files:        map[string]string{},
		sent:         map[string]int{},
		nextTask:     1014,
		nextContact:  1058,
		nextComment:  1,
		nextMessage:  5000,
	}
	s.setTokens(cfg.planfixTokens)
	s.handler = s.routes()
	return s
}

// Attach records where the emulator is served (URL, and the base of file
// and avatar links) and what Close must call to stop that listener; call it
// once, before the Server is shared (planfixtest.NewServer does).
func (s *Server) Attach(url string, stop func()) {
	s.URL, s.cfg.baseURL, s.stop = url, url, stop
}

// Start runs the emulator on a loopback port until Close, for examples and
// for sandbox mode outside tests; it panics when no port can be had, as
// there is no test to fail.
func Start(opts ...Option) *Server {
	s := New(opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("planfixemu: Start: listen on a loopback port: %v", err))
	}
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.logger.Error("planfix emulator stopped", slog.Any("err", err))
		}
	}()
	s.Attach("http://"+ln.Addr().String(), func() { _ = hs.Close() })
	return s
}

// Close stops the listener recorded by Attach (or started by Start) and
// the chat client's idle connections.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
	}
	s.cfg.chatClient.CloseIdleConnections()
}

// Handler serves /webchat/api, the custom-domain alias, files, avatars
// and the /_emulator control API.
func (s *Server) Handler() http.Handler { return s.handler }

// Endpoint is the URL a client configures, as Planfix's settings show it.
func (s *Server) Endpoint() string { return s.URL + "/webchat/api" }

// CustomDomainEndpoint is the same API under the "custom domain" that
// SetRedirect sends clients to.
func (s *Server) CustomDomainEndpoint() string { return s.URL + "/custom-domain/webchat/api" }

// SetChat sets the chat URL and chat token agents post to.
func (s *Server) SetChat(url, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.chatURL, s.cfg.chatToken = url, token
}

// SetPlanfixTokens replaces the accepted planfix_token values, e.g. to
// test a rotation mid-run.
func (s *Server) SetPlanfixTokens(tokens ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setTokens(tokens)
}

// setTokens replaces the accepted planfix_token values; s.mu is held
// (or s is not shared yet).
func (s *Server) setTokens(tokens []string) {
	s.tokens = secret.NewSet(tokens...)
}

// FailNext makes the next n calls to /webchat/api answer status (with an
// HTML error page, as a proxy would) without touching state.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, status)
	}
}

// DropNext makes the next n calls to /webchat/api close the connection
// after reading the request, without an answer: the client cannot know
// whether Planfix processed it (here it did not).
func (s *Server) DropNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropNext += n
}

// SetLatency delays every /webchat/api answer by d (0 to stop).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetRedirect makes /webchat/api answer status (301, 302, 307, 308...)
// with Location set to CustomDomainEndpoint, as an account that moved to
// its own domain does; 0 stops it.
func (s *Server) SetRedirect(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirect = status
}

// Reset forgets all tasks, contacts (and merges), statuses, requests,
// deliveries and pending faults.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks = nil
	s.current = map[string]*Task{}
	s.contacts = map[string]*Contact{}
	s.merged = map[string]string{}
	s.statuses = map[string][]StatusReport{}
	s.requests = nil
	s.deliveries = nil
	s.sent = map[string]int{}
	s.failNext = nil
	s.dropNext = 0
	s.faults.Clear()
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func randomHash(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:12])
}
