package planfix_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"golang.org/x/time/rate"

	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/planfix/planfixemu"
)

// A Form keeps keys in order, so attachment pairs stay interleaved as in
// Planfix's documentation.
func ExampleForm_Encode() {
	var f planfix.Form
	f.Add("cmd", "newMessage")
	f.Add("message", "Привет!")
	f.Add("attachments[name]", "photo1.jpg")
	f.Add("attachments[url]", "https://superchat.io/files/5444.jpg")
	f.Add("attachments[name]", "photo2.jpg")
	f.Add("attachments[url]", "https://superchat.io/files/5445.jpg")
	fmt.Println(f.Encode())
	// Output:
	// cmd=newMessage&message=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82%21&attachments[name]=photo1.jpg&attachments[url]=https%3A%2F%2Fsuperchat.io%2Ffiles%2F5444.jpg&attachments[name]=photo2.jpg&attachments[url]=https%3A%2F%2Fsuperchat.io%2Ffiles%2F5445.jpg
}

// ParseForm accepts literal or percent-encoded brackets and pairs the
// attachments however they are ordered.
func ExampleForm_Attachments() {
	f, err := planfix.ParseForm("attachments%5Bname%5D=a.doc&attachments%5Bname%5D=b.doc&attachments%5Burl%5D=https%3A%2F%2Fp%2F1&attachments%5Burl%5D=https%3A%2F%2Fp%2F2")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range f.Attachments() {
		fmt.Println(a.Name, a.URL)
	}
	// Output:
	// a.doc https://p/1
	// b.doc https://p/2
}

// getTask answers come in three shapes; all decode the same way.
func ExampleParseNumberAnswer() {
	for _, body := range []string{
		`{"number":1014}`,
		`{"data":{"number":1014}}`,
		`{"data":"{\"number\":1014,\"statusIsActive\":false}"}`,
	} {
		a, err := planfix.ParseNumberAnswer([]byte(body))
		if err != nil {
			fmt.Println(err)
			continue
		}
		active := "unknown"
		if a.StatusIsActive != nil {
			active = fmt.Sprint(*a.StatusIsActive)
		}
		fmt.Println(a.Number, active)
	}
	// Output:
	// 1014 unknown
	// 1014 unknown
	// 1014 false
}

// The first message of a chat carries the title; later ones omit it,
// because Planfix renames the task every time it sees one.
func ExampleClient_SendMessage() {
	srv := planfixemu.Start()
	defer srv.Close()
	c, err := planfix.NewClient(planfix.ClientConfig{
		Endpoint:     srv.Endpoint(), // the exact URL from Planfix's integration settings
		PlanfixToken: srv.PlanfixToken,
		ProviderID:   srv.ProviderID,
		Limiter:      rate.NewLimiter(rate.Inf, 0),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	user := planfix.Contact{ID: "user-42", Name: "Ivan"}
	_ = c.SendMessage(ctx, &planfix.Message{ChatID: "conv-42", Title: "Delivery question", Text: "Where is my order?", Contact: user})
	_ = c.SendMessage(ctx, &planfix.Message{ChatID: "conv-42", Text: "It is order 5", Contact: user})
	task, err := c.GetTask(ctx, "conv-42")
	fmt.Println(task.Number, *task.StatusIsActive, err)

	t, _ := srv.TaskForChat("conv-42")
	fmt.Println(t.Name, len(t.Comments))

	_, err = c.GetTask(ctx, "unknown-chat")
	fmt.Println(errors.Is(err, planfix.ErrTaskNotFound), planfix.IsRetryable(err))
	// Output:
	// 1014 true <nil>
	// Delivery question (WebChat, planbridge) 2
	// true false
}

// The handler checks the chat token and hands each agent reply to a
// Receiver, which must store it durably before returning.
func ExampleNewHandler() {
	h, err := planfix.NewHandler(planfix.HandlerConfig{
		ProviderID: planfixemu.DefaultProviderID,
		Tokens:     []string{planfixemu.DefaultChatToken}, // current, then previous during a rotation
		Receiver: planfix.ReceiverFunc(func(ctx context.Context, m *planfix.InboundMessage) (planfix.Ack, error) {
			fmt.Printf("%s from %s (messageId %s): %s\n", m.ChatID, m.Author(), m.MessageID, m.Text)
			return planfix.Ack{ChatID: m.ChatID, ContactID: "user-42"}, nil
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	chat := httptest.NewServer(h)
	defer chat.Close()

	srv := planfixemu.Start(planfixemu.WithChat(chat.URL, planfixemu.DefaultChatToken))
	defer srv.Close()
	c, _ := planfix.NewClient(planfix.ClientConfig{Endpoint: srv.Endpoint(), PlanfixToken: srv.PlanfixToken, ProviderID: srv.ProviderID})
	_ = c.SendMessage(context.Background(), &planfix.Message{ChatID: "conv-42", Text: "Hello", Contact: planfix.Contact{ID: "user-42", Name: "Ivan"}})

	d, err := srv.Reply(context.Background(), "conv-42", planfixemu.Reply{Text: "Hello, how can I help you?"})
	fmt.Println(d.Status, d.Body, err)
	// Output:
	// conv-42 from Peter Peterson (messageId 5000): Hello, how can I help you?
	// 200 {"chatId":"conv-42","contactId":"user-42"} <nil>
}
