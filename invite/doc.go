// Package invite will hold member invitations and company-to-company
// connections.
package invite
