// Package httpadapter mounts the four documented route families of
// gatehouse on a net/http handler.
package httpadapter
