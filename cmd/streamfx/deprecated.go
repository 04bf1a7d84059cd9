package main

import (
	"flag"
	"fmt"
)

// deprecated defines -old on fs as the former name of the flag -name,
// defined before: it sets the same value, is listed by -h as deprecated, and
// the first time it is given prints a one-line notice on stderr naming
// -name (stdout stays what scripts parse).
func (a *app) deprecated(fs *flag.FlagSet, old, name string) {
	f := fs.Lookup(name)
	if f == nil {
		panic("streamfx: deprecated flag -" + old + " names undefined flag -" + name)
	}
	warned := false
	fs.Func(old, "deprecated name of -"+name, func(v string) error {
		if !warned {
			warned = true
			fmt.Fprintf(a.errOut, "streamfx: -%s is deprecated and will be removed, use -%s\n", old, name)
		}
		return f.Value.Set(v)
	})
}
