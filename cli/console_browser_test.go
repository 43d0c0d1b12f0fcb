package cli_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserStepTimeout bounds one step of the browser test: every wait in
// it, whether the page refreshes itself or the test reloads it.
const browserStepTimeout = 20 * time.Second

// TestConsoleInBrowser drives the operator console in a real browser
// against a sandbox serve, the way an operator would: log in, watch a dead
// letter appear, retry it, filter the outbox, and play both sides of a
// hand-off. Each step leaves a full-page screenshot, so a person can look
// at what the console shows without running it.
func TestConsoleInBrowser(t *testing.T) {
	chromium := findChromium(t)
	dir := artifactsDir(t)

	base, banner := startServe(t, map[string]string{})
	key := sandboxKey.FindString(banner)
	planhatMatch := regexp.MustCompile(`Planhat emulator:\s+(http://\S+)`).FindStringSubmatch(banner)
	if key == "" || planhatMatch == nil {
		t.Fatalf("the sandbox banner names no API key or no Planhat emulator:\n%s", banner)
	}
	planhatURL := strings.TrimRight(planhatMatch[1], "/")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	b := startBrowser(t, ctx, chromium, dir)

	// 1. The console sends a visitor without a session to the login form.
	b.step("login", func() {
		b.do(chromedp.Navigate(base + "/console"))
		b.do(chromedp.WaitVisible(chromedp.ID("key")))
		if u := b.location(); u.Path != "/console/login" || u.Query().Get("next") != "/console" {
			b.failf("/console led to %s, want /console/login?next=/console", u)
		}
		b.screenshot("login")
		b.do(chromedp.SendKeys(chromedp.ID("key"), key))
		b.submit(chromedp.Submit(chromedp.ID("key")))
		if u := b.location(); u.Path != "/console" {
			b.failf("the login led to %s, want /console", u)
		}
		b.waitText("h1", "Overview")
		b.do(chromedp.WaitVisible(chromedp.CSS("section.cards")))
		b.screenshot("overview")
	})

	// 2. A Planhat that refuses the conversation delivery makes a dead
	// letter. A 4xx status would not do it on the first attempt: the relay
	// retries a plain 400 (up to PLANBRIDGE_OUTBOX_MAX_ATTEMPTS, with
	// backoff); a redirect is a refused destination, which no retry fixes,
	// so the outbox gives the item up at once.
	const conversationID = "browser-dead-1"
	var itemID string
	b.step("dead-letter", func() {
		fault := `{"redirect":"http://127.0.0.1:9/refused","paths":["/conversations"]}`
		if code, body := postJSON(t, planhatURL+"/_emulator/faults", "", fault); code/100 != 2 {
			b.failf("adding the Planhat fault: %d %s", code, body)
		}
		logBody := `{"conversationId":"` + conversationID + `","companyId":"extid-seed-company-1","botName":"Helper","messages":[{"author":"user","text":"Hi!"},{"author":"bot","text":"Hello, how can I help?"}]}`
		if code, body := postJSON(t, base+"/v1/actions/logConversation", key, logBody); code/100 != 2 {
			b.failf("logConversation: %d %s", code, body)
		}
		// The id of the conversation's row in the table right under the
		// Dead letters heading, once it is there.
		itemID = b.reloadUntil(base+"/console/outbox", `(() => {
			const h = document.getElementById("dead"), f = document.getElementById("form-dead");
			if (!h || !f || h.nextElementSibling !== f || h.textContent.trim() !== "Dead letters") return "";
			for (const tr of f.querySelectorAll("tr[id^='item-']")) {
				if (tr.textContent.includes("planhat.conversation") && tr.classList.contains("state-dead")) return tr.id.slice(5);
			}
			return "";
		})()`)
		b.screenshot("outbox-dead-letter")
		b.submit(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#item-%s a[href="/console/outbox/%s"]`, itemID, itemID))))
		payload := b.text("#payload")
		if !strings.Contains(payload, conversationID) {
			b.failf("item %s's payload does not name the conversation %q:\n%s", itemID, conversationID, payload)
		}
		b.waitText("dd.state-dead", "dead")
		b.screenshot("item-dead")
	})

	// 3. Once Planhat accepts again, the operator's retry delivers it.
	b.step("retry", func() {
		if code, body := send(t, http.MethodDelete, planhatURL+"/_emulator/faults", "", "", nil); code/100 != 2 {
			b.failf("clearing the Planhat faults: %d %s", code, body)
		}
		b.submit(chromedp.Click(chromedp.ID("retry")))
		b.waitText("p.notice", "1 item(s) made available again")
		b.reloadUntil(base+"/console/outbox/"+itemID, `(() => {
			const dd = document.querySelector("dl.item dd.state-completed");
			return dd && dd.textContent.trim() === "completed" ? "yes" : "";
		})()`)
		b.screenshot("item-completed")
		in := `{"id":"extid-bot-` + conversationID + `"}`
		if code, body := postJSON(t, base+"/v1/actions/getConversation", key, in); code != http.StatusOK {
			b.failf("getConversation after the retry: %d %s", code, body)
		}
	})

	// 4. Filtering by a state shows only that state, and no dead letters.
	b.step("filter", func() {
		b.do(chromedp.Navigate(base + "/console/outbox"))
		// One call, so the page's live refresh cannot swap the ticked box
		// for a fresh one between the tick and the submit.
		b.submit(chromedp.Click(chromedp.CSS(`form.filters input[name=state][value=completed]`)),
			chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
		if u := b.location(); u.Path != "/console/outbox" || u.Query().Get("state") != "completed" {
			b.failf("the filter led to %s, want /console/outbox?state=completed", u)
		}
		b.do(chromedp.WaitVisible(chromedp.ID("item-" + itemID)))
		dead := b.eval(`document.getElementById("dead") ? "shown" : ""`)
		if dead != "" {
			b.failf("the outbox filtered by state completed still shows the dead letters")
		}
		states := b.eval(`[...document.querySelectorAll("table.items tbody tr")].map(tr => tr.className).filter(c => c !== "state-completed").join(",")`)
		if states != "" {
			b.failf("the outbox filtered by state completed shows rows of other states: %s", states)
		}
		b.screenshot("outbox-completed")
	})

	// 5. The sandbox chat: the user talks to the bot, asks for a person,
	// the agent answers in Planfix and completes the task.
	var chatID string
	b.step("sandbox-chat", func() {
		b.do(chromedp.Navigate(base + "/console/sandbox"))
		b.say("say-text", "hello")
		b.poll(`document.querySelector("#chat li.turn.bot")?.textContent.includes("I am the sandbox bot") ? "yes" : ""`)
		b.say("say-text", "I need a human")
		chatID = b.poll(`(() => {
			const m = /Handed to a Planfix agent \(session \S+, chat (\S+)\)\./.exec(document.getElementById("chat")?.textContent || "");
			return m && document.querySelector("#task li") ? m[1] : "";
		})()`)
		b.say("reply-text", "Your refund is on its way.")
		b.poll(`[...document.querySelectorAll("#chat li.turn.agent")].some(li => li.textContent.includes("Your refund is on its way.")) ? "yes" : ""`)
		b.screenshot("sandbox-agent-replied")
	})

	rowJS := func(want string) string {
		return fmt.Sprintf(`(() => {
			const tr = document.getElementById(%q);
			return tr && %s ? "yes" : "";
		})()`, "session-"+chatID, want)
	}
	b.step("handoffs-open", func() {
		b.reloadUntil(base+"/console/handoffs", rowJS(`tr.cells[2].textContent.trim() === "open" && tr.cells[3].textContent.trim() === "Peter Peterson"`))
		b.screenshot("handoffs-open")
	})

	b.step("complete", func() {
		b.do(chromedp.Navigate(base + "/console/sandbox"))
		b.submit(chromedp.Click(chromedp.CSS("#complete button")))
		b.poll(`document.getElementById("chat")?.textContent.includes("The hand-off ended (agent)") ? "yes" : ""`)
		b.screenshot("sandbox-handoff-ended")
		b.reloadUntil(base+"/console/handoffs?state=stopped", rowJS(`tr.cells[2].textContent.includes("stopped (agent)")`))
		b.screenshot("handoffs-stopped")
		b.do(chromedp.Navigate(base + "/console/sandbox"))
		b.poll(`document.querySelector("#planhat-pane #planhat-conversation")?.textContent.includes("Your refund is on its way.") ? "yes" : ""`)
		b.screenshot("sandbox-planhat")
	})

	// After all that the overview charts the last hour's deliveries: a
	// delivered bar for the Planhat destination and one for Planfix.
	b.step("overview-chart", func() {
		b.reloadUntil(base+"/console", `document.querySelectorAll("svg.chart rect.ok").length >= 2 ? "yes" : ""`)
		b.screenshot("overview-after")
	})
}

// findChromium returns Debian's chromium, skipping the test without it:
// except in CI, whose script installs it, so a missing one is a failure.
func findChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	const msg = "no chromium on this machine: apt-get install chromium to run the console's browser test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// artifactsDir is where the screenshots go: PLANBRIDGE_ARTIFACTS, or the
// repository's ignored artifacts/console.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PLANBRIDGE_ARTIFACTS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatalf("no go.mod above %s to put artifacts/console under; set PLANBRIDGE_ARTIFACTS", wd)
			}
			root = parent
		}
		dir = filepath.Join(root, "artifacts", "console")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating the screenshot directory: %v", err)
	}
	return dir
}

// consoleBrowser is one browser tab on the console, failing the test with
// a screenshot and the page's text when a step goes wrong.
type consoleBrowser struct {
	t    *testing.T
	tab  context.Context
	dir  string
	shot int
	// name is the running step's, for the failure screenshot.
	name string
}

func startBrowser(t *testing.T, ctx context.Context, chromium, dir string) *consoleBrowser {
	t.Helper()
	// Without the background-networking flags the browser calls home at
	// start, and on a closed network those connections are refused.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first Run starts the browser and lives as long as its context,
	// so it gets the tab's own, without a step's timeout.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return &consoleBrowser{t: t, tab: tab, dir: dir}
}

// step runs one named step; its failures are reported under that name.
func (b *consoleBrowser) step(name string, fn func()) {
	b.t.Helper()
	b.name = name
	start := time.Now()
	fn()
	b.t.Logf("step %s took %s", name, time.Since(start).Round(time.Millisecond))
}

// ctx bounds one browser call by the step timeout.
func (b *consoleBrowser) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.tab, browserStepTimeout)
}

func (b *consoleBrowser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.failf("%v", err)
	}
}

// submit runs actions that navigate (a form, a link) and waits until the
// next page has loaded, so the checks after it never see the old one.
func (b *consoleBrowser) submit(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.failf("%v", err)
	}
	if resp != nil && resp.Status >= 400 {
		b.failf("the page answered %d %s", resp.Status, resp.StatusText)
	}
}

// say types text into a form's input and sends the form.
func (b *consoleBrowser) say(inputID, text string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.ID(inputID)), chromedp.SendKeys(chromedp.ID(inputID), text))
	b.submit(chromedp.Submit(chromedp.ID(inputID)))
}

func (b *consoleBrowser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.failf("%v", err)
	}
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.failf("%v", err)
	}
	return s
}

// waitText waits until the element's text contains want.
func (b *consoleBrowser) waitText(sel, want string) {
	b.t.Helper()
	b.poll(fmt.Sprintf(`document.querySelector(%q)?.innerText.includes(%q) ? "yes" : ""`, sel, want))
}

func (b *consoleBrowser) eval(js string) string {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.failf("evaluating %s: %v", js, err)
	}
	return s
}

// poll waits until js, an expression giving a string, gives a non-empty
// one on the page as it is (the console's live refresh swaps its main part
// in place), and returns it.
func (b *consoleBrowser) poll(js string) string {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Poll[string](js,
		chromedp.WithPollingTimeout(browserStepTimeout), chromedp.WithPollingInterval(200*time.Millisecond)))
	if err != nil {
		b.failf("waiting for %s: %v", js, err)
	}
	return s
}

// reloadUntil loads u until js gives a non-empty string, for pages whose
// change the test must not wait a whole refresh period for.
func (b *consoleBrowser) reloadUntil(u, js string) string {
	b.t.Helper()
	deadline := time.Now().Add(browserStepTimeout)
	var last error
	for {
		ctx, cancel := b.ctx()
		err := chromedp.Do(ctx, chromedp.Navigate(u))
		var got string
		if err == nil {
			got, err = chromedp.Run(ctx, chromedp.Evaluate[string](js))
		}
		cancel()
		if err == nil && got != "" {
			return got
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			b.failf("after %s of reloading %s, still not %s (last error: %v)", browserStepTimeout, u, js, last)
		}
		select {
		case <-b.tab.Done():
			b.failf("the browser stopped while reloading %s: %v", u, context.Cause(b.tab))
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (b *consoleBrowser) location() *url.URL {
	b.t.Helper()
	raw := b.eval(`location.href`)
	u, err := url.Parse(raw)
	if err != nil {
		b.failf("the page's address %q: %v", raw, err)
	}
	return u
}

// screenshot saves the whole page as the next numbered PNG.
func (b *consoleBrowser) screenshot(name string) {
	b.t.Helper()
	b.shot++
	path, err := b.capture(fmt.Sprintf("%02d-%s.png", b.shot, name))
	if err != nil {
		b.failf("screenshot %s: %v", name, err)
	}
	b.t.Logf("screenshot: %s", path)
}

func (b *consoleBrowser) capture(file string) (string, error) {
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	path := filepath.Join(b.dir, file)
	return path, os.WriteFile(path, png, 0o644)
}

// seenPage is what a failure reports of the page.
type seenPage struct {
	URL  string `json:"url"`
	Text string `json:"text"`
}

// failf ends the test with what the page showed: a screenshot named after
// the step, its address and its text.
func (b *consoleBrowser) failf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if errors.Is(b.tab.Err(), context.DeadlineExceeded) {
		b.t.Fatalf("step %s: %s (the test's 2-minute budget is spent; no screenshot)", b.name, msg)
	}
	shot, err := b.capture("failure-" + b.name + ".png")
	if err != nil {
		shot = "none (" + err.Error() + ")"
	}
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	seen, err := chromedp.Run(ctx, chromedp.Evaluate[seenPage](`({url: location.href, text: document.body ? document.body.innerText : ""})`))
	if err != nil {
		seen.Text = fmt.Sprintf("(could not read the page: %v)", err)
	}
	b.t.Fatalf("step %s: %s\nscreenshot: %s\npage %s:\n%s", b.name, msg, shot, seen.URL, seen.Text)
}
