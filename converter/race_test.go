//go:build race

package converter

// raceEnabled reports a -race build, whose slowdown widens time bounds.
const raceEnabled = true
