package planfixemu_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/planbridge/planbridge/planfix/planfixemu"
)

// The emulator behaves like a Planfix account: the first message of a
// chat creates a task, later ones append comments, and a closed task makes
// the next message open a new one.
func ExampleStart() {
	srv := planfixemu.Start(planfixemu.WithGetTaskShape(planfixemu.ShapeTopLevel))
	defer srv.Close()
	send := func(body string) string {
		resp, err := http.Post(srv.Endpoint(), "application/x-www-form-urlencoded",
			strings.NewReader("providerId=planbridge&planfix_token="+srv.PlanfixToken+"&"+body))
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, b))
	}
	fmt.Println(send("cmd=newMessage&chatId=c1&contactId=u1&contactName=Ivan&message=Hi"))
	fmt.Println(send("cmd=getTask&chatId=c1"))
	_ = srv.CloseTask(1014)
	fmt.Println(send("cmd=newMessage&chatId=c1&contactId=u1&contactName=Ivan&message=Again"))
	fmt.Println(send("cmd=getTask&chatId=c1"))
	fmt.Println(send(`cmd=newMessage&chatId=c1&message={"json":"no"}`))
	// Output:
	// 200
	// 200 {"number":1014,"statusIsActive":true}
	// 200
	// 200 {"number":1015,"statusIsActive":true}
	// 400 {"error":"Invalid parameters"}
}
