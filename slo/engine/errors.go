package engine

import "errors"

// ErrUnknownSLO is returned for a name no loaded SLO has; the API maps it to 404.
var ErrUnknownSLO = errors.New("unknown slo")

// ErrBadRequest wraps invalid arguments (a range too long, a step too
// small, an unknown slice); the API maps it to 400.
var ErrBadRequest = errors.New("bad request")

// ErrUnknownRelease is returned for a version no SLO's events carry; the
// API maps it to 404.
var ErrUnknownRelease = errors.New("unknown release")
