package scenario

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// defaultSocketIOOptions are socket.io-client's defaults, which Artillery's
// scenarios were written against: reconnection is on, and every drop and
// reconnection is counted by the engine, so nothing is hidden.
func defaultSocketIOOptions() SocketIOOptions {
	return SocketIOOptions{
		Transports:           []string{"polling", "websocket"},
		Path:                 "/socket.io",
		ConnectTimeout:       20 * time.Second,
		Reconnection:         true,
		ReconnectionDelay:    time.Second,
		ReconnectionDelayMax: 5 * time.Second,
		RandomizationFactor:  0.5,
	}
}

// socketIO decodes the client options from layers of option mappings,
// lowest priority first. A key in a later layer replaces the whole value of
// the same key in earlier ones, as Artillery's spread of scenario options
// over config options does.
func (d *decoder) socketIO(layers []*yaml.Node, at Pos) SocketIOOptions {
	o := defaultSocketIOOptions()
	o.Pos = at
	final := map[string]*yaml.Node{}
	var order []string
	for _, layer := range layers {
		if layer == nil || isNull(layer) {
			continue
		}
		if layer.Kind != yaml.MappingNode {
			d.errf(layer, "write socketio:\n  transports: [\"websocket\"]", "Socket.IO options must be a mapping, not %s", kindName(layer))
			continue
		}
		if !o.Pos.IsValid() {
			o.Pos = pos(layer)
		}
		for i := 0; i+1 < len(layer.Content); i += 2 {
			k := layer.Content[i].Value
			if _, seen := final[k]; !seen {
				order = append(order, k)
			}
			final[k] = layer.Content[i+1]
		}
	}
	for _, k := range order {
		d.socketIOOption(&o, k, final[k])
	}
	return o
}

func (d *decoder) socketIOOption(o *SocketIOOptions, key string, v *yaml.Node) {
	switch key {
	case "transports":
		o.Transports = d.transports(v)
	case "path":
		if s, ok := d.str(v, "path"); ok {
			if !strings.HasPrefix(s, "/") {
				d.errf(v, "write path: \"/"+s+"\"", "path starts with \"/\"")
			}
			o.Path = s
		}
	case "query":
		o.Query = d.keyTemplates(v, "query", true)
	case "extraHeaders":
		o.ExtraHeaders = d.keyTemplates(v, "extraHeaders", false)
	case "auth":
		if v.Kind == yaml.SequenceNode {
			d.errf(v, "write auth:\n  token: \"{{ token }}\"", "auth must be a mapping (it is the payload of the CONNECT packet)")
			return
		}
		o.Auth = d.template(v)
	case "timeout":
		o.ConnectTimeout, _ = d.millis(v, "timeout")
	case "reconnection":
		o.Reconnection, _ = d.boolean(v, "reconnection")
	case "reconnectionAttempts":
		if n, ok := d.number(v, "reconnectionAttempts"); ok && n >= 0 && n < 1e9 {
			o.ReconnectionAttempts = int(n)
		}
	case "reconnectionDelay":
		o.ReconnectionDelay, _ = d.millis(v, "reconnectionDelay")
	case "reconnectionDelayMax":
		o.ReconnectionDelayMax, _ = d.millis(v, "reconnectionDelayMax")
	case "randomizationFactor":
		if f, ok := d.number(v, "randomizationFactor"); ok {
			if f < 0 || f > 1 {
				d.errf(v, "", "randomizationFactor must be between 0 and 1")
			}
			o.RandomizationFactor = f
		}
	case "backend":
		o.Backend = d.backend(v)
	case "emitWhileReconnecting":
		if s, ok := d.str(v, "emitWhileReconnecting"); ok {
			switch s {
			case "wait", "fail":
				o.FailWhileReconnecting = s == "fail"
			default:
				d.errf(v, "write emitWhileReconnecting: wait (send it once reconnected, within config.timeout) or fail",
					"emitWhileReconnecting is wait or fail, not %q", s)
			}
		}
	case "forceNew":
		o.ForceNew, _ = d.boolean(v, "forceNew")
	case "multiplex":
		if m, ok := d.boolean(v, "multiplex"); ok {
			o.ForceNew = !m
		}
	case "sendOverMaxPayload":
		o.SendOverMaxPayload, _ = d.boolean(v, "sendOverMaxPayload")
	case "serverVersion":
		d.serverVersion(o, v)
	case "sourceAddresses":
		d.sourceAddresses(o, v)
	case "parser":
		if name, ok := d.str(v, "parser"); ok && name != "default" && name != "json" {
			d.errf(v, "remove it: sockload speaks the default Socket.IO parser (JSON, with binary attachments)", "parser %q is not supported", name)
		}
	case "upgrade", "rememberUpgrade", "withCredentials", "autoConnect":
		// Accepted for compatibility; they do not change how a VU connects here.
	}
}

// millis reads socket.io-client's millisecond options: a number is
// milliseconds, a string a duration.
func (d *decoder) millis(v *yaml.Node, what string) (time.Duration, bool) {
	val, ok := d.resolved(v, what)
	if !ok {
		return 0, false
	}
	var dur time.Duration
	var err error
	switch x := val.(type) {
	case int64:
		dur, err = checkDuration(v.Value, float64(x)*float64(time.Millisecond))
	case float64:
		dur, err = checkDuration(v.Value, x*float64(time.Millisecond))
	case string:
		dur, err = ParseDuration(x, time.Millisecond)
	default:
		d.errf(v, "", "%s must be milliseconds (a number) or a duration", what)
		return 0, false
	}
	if err != nil {
		d.errf(v, "", "%s: %v", what, err)
		return 0, false
	}
	return dur, true
}

func (d *decoder) transports(v *yaml.Node) []string {
	items := listOrOne(v)
	var out []string
	for _, it := range items {
		s, ok := d.str(it, "a transport")
		if !ok {
			continue
		}
		if s != "polling" && s != "websocket" {
			d.errf(it, "use \"websocket\" (direct) or \"polling\" (long-polling, then upgrade)", "unknown transport %q", s)
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return []string{"polling", "websocket"}
	}
	return out
}

// keyTemplates reads a mapping of names to templated values; a query may
// also be a string "a=1&b={{ x }}".
func (d *decoder) keyTemplates(v *yaml.Node, what string, queryString bool) []KeyTemplate {
	if v.Kind == yaml.ScalarNode && queryString && !isNull(v) {
		var out []KeyTemplate
		for _, pair := range strings.Split(strings.TrimPrefix(v.Value, "?"), "&") {
			if pair == "" {
				continue
			}
			k, val, _ := strings.Cut(pair, "=")
			if uk, err := url.QueryUnescape(k); err == nil {
				k = uk
			}
			if uv, err := url.QueryUnescape(val); err == nil {
				val = uv
			}
			t, err := compileString(val, pos(v))
			if err != nil {
				d.errf(v, "", "bad template: %v", err)
				continue
			}
			d.templates = append(d.templates, t)
			out = append(out, KeyTemplate{Key: k, Value: t})
		}
		return out
	}
	keys, vals, ok := d.pairs(v, what, "write "+what+":\n  name: \"value\"")
	if !ok {
		return nil
	}
	out := make([]KeyTemplate, 0, len(keys))
	for i, k := range keys {
		if vals[i].Kind != yaml.ScalarNode {
			d.errf(vals[i], "", "%s.%s must be a single value, not %s", what, k.Value, kindName(vals[i]))
			continue
		}
		if t := d.template(vals[i]); t != nil {
			out = append(out, KeyTemplate{Key: k.Value, Value: t})
		}
	}
	return out
}

// serverVersion reads serverVersion: 2, 3 or 4 (or "2.x", "2.5.0").
func (d *decoder) serverVersion(o *SocketIOOptions, v *yaml.Node) {
	val, ok := d.resolved(v, "serverVersion")
	if !ok {
		return
	}
	s := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(toText(val)), "v"))
	major, _, _ := strings.Cut(s, ".")
	n, err := strconv.Atoi(major)
	if err != nil || n < 2 || n > 4 {
		d.errf(v, "write serverVersion: 2 for socket.io 2.x servers (Engine.IO 3), or 4 (the default) for socket.io 3.x and 4.x",
			"serverVersion %q is not a socket.io server version sockload speaks to", toText(val))
		return
	}
	o.ServerVersion = ServerVersion(n)
}

func toText(v any) string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

// variables reads config.variables: a list gives each VU one element at
// random; anything else is a list of one.
func (d *decoder) variables(v *yaml.Node) map[string][]*Template {
	keys, vals, ok := d.pairs(v, "config.variables", "write variables:\n  room: [\"a\", \"b\"]")
	if !ok {
		return nil
	}
	out := make(map[string][]*Template, len(keys))
	for i, k := range keys {
		d.defined[k.Value] = true
		var ts []*Template
		if vals[i].Kind == yaml.SequenceNode {
			if len(vals[i].Content) == 0 {
				d.errf(vals[i], "give it at least one value", "variable %q is an empty list", k.Value)
				continue
			}
			for _, it := range vals[i].Content {
				ts = append(ts, d.template(it))
			}
		} else {
			ts = []*Template{d.template(vals[i])}
		}
		out[k.Value] = ts
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sourceAddresses reads the local addresses new connections rotate over:
// "127.0.0.1-127.0.0.8", or a list of addresses and ranges.
func (d *decoder) sourceAddresses(o *SocketIOOptions, v *yaml.Node) {
	var specs []string
	switch v.Kind {
	case yaml.ScalarNode:
		specs = []string{v.Value}
	case yaml.SequenceNode:
		for _, item := range v.Content {
			if s, ok := d.str(item, "a source address"); ok {
				specs = append(specs, s)
			}
		}
	default:
		d.errf(v, "write sourceAddresses: \"127.0.0.1-127.0.0.8\"", "sourceAddresses must be an address, a range or a list of them")
		return
	}
	addrs, err := ParseSourceAddrs(strings.Join(specs, ","))
	if err != nil {
		d.errf(v, "write sourceAddresses: \"127.0.0.1-127.0.0.8\" (local addresses of this machine)", "%v", err)
		return
	}
	o.SourceAddresses = addrs
}

// backend reads the backend option: a mapping with one of cookie, header or
// capture, naming where a VU's backend is read from.
func (d *decoder) backend(v *yaml.Node) Backend {
	const how = "write backend: {cookie: SERVERID} (the balancer's sticky cookie), {header: X-Backend} (a handshake response header) or {capture: node} (a captured variable)"
	var b Backend
	if v.Kind != yaml.MappingNode || len(v.Content) != 2 {
		d.errf(v, how, "backend names one source of the backend's name")
		return b
	}
	key, val := v.Content[0], v.Content[1]
	name, ok := d.str(val, "backend "+key.Value)
	if !ok || name == "" {
		d.errf(val, how, "backend %s needs a name", key.Value)
		return b
	}
	switch key.Value {
	case "cookie":
		b.Cookie = name
	case "header":
		b.Header = name
	case "capture":
		b.Capture = name
	default:
		d.errf(key, how, "backend is read from cookie, header or capture, not %q", key.Value)
	}
	return b
}
