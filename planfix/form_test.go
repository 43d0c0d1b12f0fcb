package planfix

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormEncodeKeepsOrderAndLiteralBrackets(t *testing.T) {
	t.Parallel()
	var f Form
	f.Add("cmd", "newMessage")
	f.Add("message", "Привет, мир 👋 & = + ?")
	f.addAttachments([]Attachment{{"a b.jpg", "https://x.test/1?a=b&c=d"}, {"ф.pdf", "https://x.test/2"}})
	f.addData(map[string]string{"utm_source": "ads", "Amount": "10"})
	got := f.Encode()
	want := "cmd=newMessage" +
		"&message=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82%2C+%D0%BC%D0%B8%D1%80+%F0%9F%91%8B+%26+%3D+%2B+%3F" +
		"&attachments[name]=a+b.jpg&attachments[url]=https%3A%2F%2Fx.test%2F1%3Fa%3Db%26c%3Dd" +
		"&attachments[name]=%D1%84.pdf&attachments[url]=https%3A%2F%2Fx.test%2F2" +
		"&data_Amount=10&data_utm_source=ads"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Encode (-want +got):\n%s", diff)
	}
	back, err := ParseForm(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f, back); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	// The standard library agrees on the values (it only loses the order).
	std, err := url.ParseQuery(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a b.jpg", "ф.pdf"}, std["attachments[name]"]); diff != "" {
		t.Fatalf("url.ParseQuery disagrees (-want +got):\n%s", diff)
	}
}

func TestParseForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    Form
		wantErr bool
	}{
		{name: "empty", body: "", want: Form{}},
		{name: "percent-encoded brackets", body: "attachments%5Bname%5D=a&attachments%5Burl%5D=u",
			want: Form{{"attachments[name]", "a"}, {"attachments[url]", "u"}}},
		{name: "repeated keys kept in order", body: "k=2&j=x&k=1", want: Form{{"k", "2"}, {"j", "x"}, {"k", "1"}}},
		{name: "key without value", body: "isEcho&x=", want: Form{{"isEcho", ""}, {"x", ""}}},
		{name: "stray separators", body: "&&a=1&&", want: Form{{"a", "1"}}},
		{name: "plus is space", body: "m=a+b%2Bc", want: Form{{"m", "a b+c"}}},
		{name: "semicolon is data", body: "m=a;b", want: Form{{"m", "a;b"}}},
		{name: "bad escape", body: "m=%zz", wantErr: true},
		{name: "bad escape in key", body: "%=1", wantErr: true},
		{name: "invalid UTF-8 value", body: "m=%ff%fe", wantErr: true},
		{name: "invalid UTF-8 key", body: "%c3=1", wantErr: true},
		{name: "too many fields", body: strings.Repeat("a=1&", MaxFormFields+1), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseForm(tt.body)
			if tt.wantErr {
				if !errors.Is(err, ErrMalformedForm) {
					t.Fatalf("ParseForm(%q) error = %v, want ErrMalformedForm", tt.body, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("ParseForm(%q) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []Attachment
	}{
		{name: "none", body: "cmd=newMessage", want: nil},
		{name: "documented interleaved",
			body: "attachments[name]=a.doc&attachments[url]=https://p/1&attachments[name]=b.doc&attachments[url]=https://p/2",
			want: []Attachment{{"a.doc", "https://p/1"}, {"b.doc", "https://p/2"}}},
		{name: "grouped like url.Values.Encode",
			body: "attachments[name]=a.doc&attachments[name]=b.doc&attachments[url]=https://p/1&attachments[url]=https://p/2",
			want: []Attachment{{"a.doc", "https://p/1"}, {"b.doc", "https://p/2"}}},
		{name: "url first",
			body: "attachments[url]=https://p/1&attachments[name]=a.doc",
			want: []Attachment{{"a.doc", "https://p/1"}}},
		{name: "indexed",
			body: "attachments[1][url]=https://p/2&attachments[0][name]=a.doc&attachments[0][url]=https://p/1&attachments[1][name]=b.doc",
			want: []Attachment{{"b.doc", "https://p/2"}, {"a.doc", "https://p/1"}}},
		{name: "empty index",
			body: "attachments[][name]=a.doc&attachments[][url]=https://p/1",
			want: []Attachment{{"a.doc", "https://p/1"}}},
		{name: "url without name gets one from the path",
			body: "attachments[name]=a.doc&attachments[url]=https://p/1&attachments[url]=https://p/files/scan.pdf",
			want: []Attachment{{"a.doc", "https://p/1"}, {"scan.pdf", "https://p/files/scan.pdf"}}},
		{name: "name without url is dropped, neighbours pair",
			body: "attachments[name]=nourl.doc&attachments[name]=b.doc&attachments[url]=https://p/1",
			want: []Attachment{{"b.doc", "https://p/1"}}},
		{name: "url with no path",
			body: "attachments[url]=https://files.test",
			want: []Attachment{{"files.test", "https://files.test"}}},
		{name: "bad index ignored",
			body: "attachments[x][name]=a&attachments[x][url]=https://p/1",
			want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := ParseForm(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f.Attachments()); diff != "" {
				t.Fatalf("Attachments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormData(t *testing.T) {
	t.Parallel()
	f, _ := ParseForm("data_utm_source=ads&data_=x&data_utm_source=mail&datax=1&data_Сумма=5")
	want := map[string]string{"utm_source": "mail", "Сумма": "5"}
	if diff := cmp.Diff(want, f.Data()); diff != "" {
		t.Fatalf("Data (-want +got):\n%s", diff)
	}
}

func TestFormRedacted(t *testing.T) {
	t.Parallel()
	f := Form{{"token", "s1"}, {"planfix_token", "s2"}, {"message", "hi"}}
	got := f.Redacted().String()
	if strings.Contains(got, "s1") || strings.Contains(got, "s2") || !strings.Contains(got, "message=hi") {
		t.Fatalf("Redacted = %q", got)
	}
	if f[0].Value != "s1" {
		t.Fatal("Redacted modified the original form")
	}
}

// FuzzParseForm checks that the decoder never panics, that everything it
// accepts is valid UTF-8, and that encoding what it decoded decodes to the
// same fields.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"", "cmd=newMessage&providerId=superchat&attachments[name]=a&attachments[url]=https%3A%2F%2Fp%2F1",
		"attachments%5B0%5D%5Bname%5D=x&attachments%5B0%5D%5Burl%5D=y", "a=%zz", "&&=&", "m=%D0%9F+%F0%9F%91%8B", "%ff=1",
		"attachments[][url]=u&attachments[name]=n&attachments[url]=v",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := ParseForm(body)
		if err != nil {
			return
		}
		for _, p := range form {
			if !utf8Valid(p.Key, []byte(p.Value)) {
				t.Fatalf("accepted invalid UTF-8 %q", p)
			}
		}
		again, err := ParseForm(form.Encode())
		if err != nil {
			t.Fatalf("re-parsing %q: %v", form.Encode(), err)
		}
		if len(form) == 0 {
			form = Form{}
		}
		// Empty keys with empty values vanish ("=" is skipped only when it
		// is the whole field), so compare without them.
		if diff := cmp.Diff(dropEmpty(form), dropEmpty(again)); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
		for _, a := range form.Attachments() {
			if a.URL == "" || a.Name == "" {
				t.Fatalf("attachment without url or name: %+v", a)
			}
		}
	})
}

func dropEmpty(f Form) Form {
	out := Form{}
	for _, p := range f {
		if p.Key != "" || p.Value != "" {
			out = append(out, p)
		}
	}
	return out
}
