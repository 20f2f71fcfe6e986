package scenario

import "sort"

// The schema says which keys each mapping of a scenario file may hold, and
// what the value of each key is (another checked mapping, a list of them, or
// free-form data such as an emit's payload). It is used twice: to report
// unknown keys with the closest known one, and to explain broken indentation
// (a key that is unknown where it stands but known under a neighbour).

// context names a kind of mapping in the file.
type context string

const (
	ctxFree        context = "" // free-form data: not checked
	ctxRoot        context = "root"
	ctxConfig      context = "config"
	ctxPhase       context = "phase"
	ctxSocketIO    context = "socketio"
	ctxEngines     context = "engines"
	ctxEngineOpts  context = "engine options"
	ctxTLS         context = "tls"
	ctxEnvs        context = "environments"
	ctxPayload     context = "payload"
	ctxScenario    context = "scenario"
	ctxStep        context = "step"
	ctxEmit        context = "emit"
	ctxAcknowledge context = "acknowledge"
	ctxResponse    context = "response"
	ctxMatch       context = "match"
	ctxCapture     context = "capture"
	ctxWaitFor     context = "waitFor"
	ctxConnect     context = "connect"
	ctxDefaults    context = "defaults"
	ctxListen      context = "listen"
	ctxHTTP        context = "request"
	ctxHTTPConfig  context = "http"
	ctxHTTPCapture context = "request.capture"
	ctxHTTPMatch   context = "request.match"
	ctxExpect      context = "expect"
)

// child says what a key's value is: a mapping of context Map, or a list whose
// items are mappings of context Item (either may be set: payload, match and
// capture take one or a list).
type child struct {
	Map  context
	Item context
}

var free = child{}

// socketIOKeys are the client options accepted in config.socketio, under the
// socketio-v3 engine, in a scenario's socketio and in a connect step.
var socketIOKeys = map[string]child{
	"transports": free, "path": free, "query": free, "extraHeaders": free,
	"auth": free, "timeout": free, "reconnection": free,
	"reconnectionAttempts": free, "reconnectionDelay": free,
	"reconnectionDelayMax": free, "randomizationFactor": free,
	"forceNew": free, "multiplex": free, "serverVersion": free, "sendOverMaxPayload": free,
	"upgrade": free, "rememberUpgrade": free, "withCredentials": free,
	"autoConnect": free, "parser": free, "sourceAddresses": free,
	"emitWhileReconnecting": free, "backend": free,
}

func withKeys(base map[string]child, extra map[string]child) map[string]child {
	m := make(map[string]child, len(base)+len(extra))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

var configKeys = map[string]child{
	"target": free, "phases": {Item: ctxPhase}, "timeout": free,
	"socketio": {Map: ctxSocketIO}, "engines": {Map: ctxEngines},
	"tls": {Map: ctxTLS}, "environments": {Map: ctxEnvs},
	"payload": {Map: ctxPayload, Item: ctxPayload}, "variables": free,
	"defaults": {Map: ctxDefaults}, "plugins": free, "ensure": free,
	"processor": free, "http": {Map: ctxHTTPConfig}, "ws": free, "includeFiles": free,
	"statsInterval": free,
}

var schema = map[context]map[string]child{
	ctxRoot: {
		"config": {Map: ctxConfig}, "scenarios": {Item: ctxScenario},
		"before": free, "after": free,
	},
	ctxConfig: configKeys,
	ctxPhase: {
		"duration": free, "arrivalRate": free, "rampTo": free,
		"arrivalCount": free, "pause": free, "maxVusers": free,
		"name": free, "mode": free,
	},
	ctxSocketIO:   socketIOKeys,
	ctxEngineOpts: socketIOKeys,
	ctxEngines:    {"socketio": {Map: ctxEngineOpts}, "socketio-v3": {Map: ctxEngineOpts}},
	ctxTLS:        {"rejectUnauthorized": free},
	ctxDefaults:   {"think": free, "headers": free},
	ctxEnvs:       nil, // any environment name: its value is checked as config
	ctxPayload: {
		"path": free, "fields": free, "order": free, "skipHeader": free,
		"delimiter": free, "cast": free, "skipEmptyLines": free,
		"loadAll": free, "name": free,
	},
	ctxScenario: {
		"name": free, "weight": free, "engine": free,
		"flow": {Item: ctxStep}, "onReconnect": {Item: ctxStep}, "socketio": {Map: ctxSocketIO},
		"listen":         {Map: ctxListen, Item: ctxListen},
		"beforeScenario": free, "afterScenario": free,
		"beforeRequest": free, "afterResponse": free,
	},
	ctxStep: {
		"emit": {Map: ctxEmit}, "namespace": free,
		"acknowledge": {Map: ctxAcknowledge}, "response": {Map: ctxResponse},
		"think": free, "jitter": free, "loop": {Item: ctxStep},
		"count": free, "over": free, "whileTrue": free, "loopValue": free,
		"loopElement": free, "log": free, "connect": {Map: ctxConnect},
		"waitFor": {Map: ctxWaitFor}, "function": free,
		"reconnect": free, "to": free, "includeSender": free,
		"joinGroup": free, "leaveGroup": free, "get": {Map: ctxHTTP}, "post": {Map: ctxHTTP}, "put": {Map: ctxHTTP},
		"patch": {Map: ctxHTTP}, "delete": {Map: ctxHTTP}, "head": {Map: ctxHTTP}, "options": {Map: ctxHTTP},
	},
	ctxHTTP: {
		"url": free, "name": free, "headers": free, "qs": free, "json": free,
		"body": free, "form": free, "formData": free, "auth": free, "cookie": free,
		"followRedirect": free, "timeout": free,
		"capture":       {Map: ctxHTTPCapture, Item: ctxHTTPCapture},
		"match":         {Map: ctxHTTPMatch, Item: ctxHTTPMatch},
		"expect":        {Map: ctxExpect, Item: ctxExpect},
		"beforeRequest": free, "afterResponse": free, "ifTrue": free,
	},
	ctxHTTPConfig: {"timeout": free, "pool": free, "maxSockets": free, "defaults": free, "extendedMetrics": free},
	ctxHTTPCapture: {"json": free, "header": free, "regexp": free, "group": free, "as": free,
		"transform": free, "strict": free, "xpath": free, "selector": free},
	ctxHTTPMatch: {"json": free, "regexp": free, "value": free},
	ctxExpect: {"statusCode": free, "contentType": free, "hasHeader": free,
		"hasProperty": free, "equals": free},
	// Artillery 1.x read response, acknowledge and namespace inside emit.
	ctxEmit: {"channel": free, "data": free, "namespace": free,
		"response": {Map: ctxResponse}, "acknowledge": {Map: ctxAcknowledge}},
	ctxAcknowledge: {
		"args": free, "data": free,
		"match":   {Map: ctxMatch, Item: ctxMatch},
		"capture": {Map: ctxCapture, Item: ctxCapture},
	},
	ctxResponse: {
		"channel": free, "on": free, "args": free, "data": free,
		"concat": free, "match": {Map: ctxMatch, Item: ctxMatch},
		"capture": {Map: ctxCapture, Item: ctxCapture},
	},
	ctxMatch: {"json": free, "value": free},
	ctxCapture: {"json": free, "as": free, "strict": free,
		"regexp": free, "xpath": free, "header": free, "selector": free},
	ctxWaitFor: {
		"event": free, "channel": free, "on": free, "count": free,
		"args": free, "data": free, "timeout": free,
		"match":   {Map: ctxMatch, Item: ctxMatch},
		"capture": {Map: ctxCapture, Item: ctxCapture},
	},
	ctxListen: {
		"event": free, "channel": free, "on": free, "namespace": free,
		"args": free, "data": free, "trace": free,
		"match":   {Map: ctxMatch, Item: ctxMatch},
		"capture": {Map: ctxCapture, Item: ctxCapture},
	},
	ctxConnect: withKeys(socketIOKeys, map[string]child{"namespace": free}),
}

// keysOf returns the known keys of ctx, sorted.
func keysOf(ctx context) []string {
	m := schema[ctx]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// childOf returns what key's value is in ctx, and whether key is known there.
// The children of an environment are config mappings.
func childOf(ctx context, key string) (child, bool) {
	if ctx == ctxEnvs {
		return child{Map: ctxConfig}, true
	}
	m, ok := schema[ctx]
	if !ok {
		return free, true // free-form: anything goes
	}
	c, ok := m[key]
	return c, ok
}

// checked reports whether the keys of a ctx mapping are checked.
func checked(ctx context) bool {
	_, ok := schema[ctx]
	return ok && ctx != ctxEnvs
}
