package engine

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
	"github.com/sockload/sockload/socketio/wire"
)

// Probe checks the target once before the run, with one Engine.IO handshake
// made with the first scenario's options, so that a server that cannot
// serve the test is diagnosed before any load is blamed. When the server
// speaks Engine.IO 3 (socket.io 2.x), VUs of scenarios that leave
// serverVersion unset talk Engine.IO 3 to it; notice says so, once. err
// explains a target that no VU will reach: a *socketio.NotSocketIOError,
// a *socketio.EngineIOError, or the network's error ("nothing listens at
// ADDR" for a refused connection). Call it before New, with the Config
// New will get: it sets cfg.ServerEngine.
func Probe(ctx context.Context, cfg *Config) (notice string, err error) {
	if cfg.Script == nil || len(cfg.Script.Scenarios) == 0 {
		return "", nil
	}
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
	r := &Runner{cfg: *cfg}
	sc := &r.cfg.Script.Scenarios[0]
	v := &vu{r: r, scenario: sc, timeout: r.cfg.Script.Config.Timeout}
	v.tctx = r.cfg.Script.NewContext(0, rand.New(rand.NewPCG(1, 1)), r.cfg.Getenv)
	conn, err := v.connOptions(&sc.SocketIO)
	if err != nil {
		return "", err
	}
	// The probe sends what a VU's handshake sends; it calls no callback.
	opts := r.clientOptions(&sc.SocketIO)
	opts.Query, opts.ExtraHeaders, opts.Auth = conn.Query, conn.ExtraHeaders, conn.Auth
	opts.DisableReconnection = true
	target := r.cfg.Script.Config.Target
	res, err := socketio.Probe(ctx, target, opts)
	if err != nil {
		if classifyNetworkError(err) == CodeConnRefused {
			return "", fmt.Errorf("nothing listens at %s: %w", targetAddr(target), err)
		}
		return "", err
	}
	if res.EngineVersion != wire.EngineV3 {
		return "", nil
	}
	explicit := sc.SocketIO.ServerVersion != scenario.ServerVersionUnset
	if explicit && sc.SocketIO.ServerVersion.EngineIOProtocol() == 4 {
		return fmt.Sprintf("Warning: the server at %s speaks Engine.IO 3 (socket.io 2.x), but serverVersion is %d: VUs will fail; set serverVersion: 2 or leave it out.",
			target, sc.SocketIO.ServerVersion), nil
	}
	cfg.ServerEngine = wire.EngineV3
	if explicit {
		return "", nil
	}
	return fmt.Sprintf("The server at %s speaks Engine.IO 3 (socket.io 2.x): talking Engine.IO 3 to it (config.socketio.serverVersion chooses a version).", target), nil
}

// engineVersion is the Engine.IO version to speak with options o: the one
// serverVersion names, or the one Probe detected (Config.ServerEngine).
func (r *Runner) engineVersion(o *scenario.SocketIOOptions) wire.EngineVersion {
	if o.ServerVersion == scenario.ServerVersionUnset && r.cfg.ServerEngine != 0 {
		return r.cfg.ServerEngine
	}
	return wire.EngineVersion(o.ServerVersion.EngineIOProtocol())
}
