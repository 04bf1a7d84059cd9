//go:build race

package reliability

// raceEnabled is true when the tests run under the race detector, which
// makes everything several times slower: the scenarios use fewer messages.
const raceEnabled = true
