// Package token will hold API tokens, session tokens and login links.
package token
