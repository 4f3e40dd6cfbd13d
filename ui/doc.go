// Package ui owns flowslo's HTTP face: the echo server, the JSON API under
// /api/v1, the health and readiness endpoints, /metrics, and (as they are
// built) the server-rendered pages. Handlers depend on small interfaces
// declared here, never on a storage driver.
package ui
