//go:build race

package api_test

// raceEnabled: the race detector multiplies memory use (bounds on RSS
// widen under it).
const raceEnabled = true
