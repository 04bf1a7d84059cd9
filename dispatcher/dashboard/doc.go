// Package dashboard is a web dashboard for streamfx streams, as an
// http.Handler that an application mounts on its own server, or that
// `streamfx serve` runs on its own.
//
// It shows, refreshing by itself, every stream (or those configured) with its
// consumer groups, their lag and pending entries, the consumers, and a small
// chart of each group's lag over the last minutes; and a browser of dead
// letters with their payloads decoded by the dispatcher codec, where a dead
// letter can be replayed to its stream (exactly once, see
// inspect.Inspector.Replay) or deleted. Pages are rendered on the server with
// html/template; a few lines of JavaScript refresh the overview. Nothing is
// built with Node: templates, script and style are embedded in the binary.
//
// Mount it under a prefix with http.StripPrefix; its links are relative:
//
//	d, err := dashboard.New(rdb, dashboard.Config{})
//	mux.Handle("/ops/", http.StripPrefix("/ops", d))
//
// Writes (replay, delete) are POST requests checked by
// http.CrossOriginProtection: a form posted from another site is refused
// with 403. Config.ReadOnly turns them off. The dashboard has no login of its
// own: mount it behind the application's authentication, or on an address
// only operators reach.
package dashboard
