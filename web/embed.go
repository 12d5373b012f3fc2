// Package web holds what the browser sees: templates, static assets and the
// message catalogs, embedded in the binary so one file is the whole site.
package web

import "embed"

// FS holds templates/, static/ and locales/.
//
//go:embed templates static locales
var FS embed.FS
