package inspect

import "strings"

// hashTag returns the Redis Cluster hash tag of key: the text between its
// first "{" and the first "}" after it, if not empty; else "".
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return ""
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return ""
	}
	return key[open+1 : open+1+end]
}

// sameSlotKey returns a key in the Redis Cluster hash slot of key, ending
// with suffix: key+suffix when key has a hash tag, else "{key}"+suffix
// (the tag is then the whole key, which hashes like the key itself). A key
// holding "{}" and no other tag has no such name; its key is returned as if
// it had none, and a Cluster then refuses the command that uses both
// (CROSSSLOT) instead of running it across slots.
func sameSlotKey(key, suffix string) string {
	if hashTag(key) != "" {
		return key + suffix
	}
	return "{" + key + "}" + suffix
}
