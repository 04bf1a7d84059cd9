package main

import (
	"fmt"
	"strings"
)

// fmtFields renders log fields on one line, to search them.
func fmtFields(m map[string]any) string {
	var b strings.Builder
	for k, v := range m {
		fmt.Fprintf(&b, "%s=%v ", k, v)
	}
	return b.String()
}
