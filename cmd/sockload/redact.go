package main

import "net/url"

// redactTarget hides the secrets a target URL may carry, before it is
// printed or written to a report: the password of user:password@ and every
// query value (tokens go there).
func redactTarget(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			for i := range vs {
				vs[i] = "xxxxx"
			}
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
