package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// The device cookie (OWASP): a browser that signed in successfully keeps a
// token that lets its later attempts count on a budget of their own
// (vault.LoginFrom), so that someone who knows a person's identifier and
// fails on purpose cannot lock that person's own browser out.

// deviceCookieAge: a year, renewed at each successful login.
const deviceCookieAge = 365 * 24 * 3600

func (s *server) deviceCookieName() string {
	if s.secure {
		return "__Host-coffre_device"
	}
	return "coffre_device"
}

// loginClient is where an owner's login attempt comes from: the client
// address and the device cookie, if any.
func (s *server) loginClient(c *gin.Context) vault.Client {
	cl := vault.Client{IP: c.ClientIP()}
	if ck, err := c.Request.Cookie(s.deviceCookieName()); err == nil {
		cl.Device = ck.Value
	}
	return cl
}

// ctxDevice holds the device token a login just earned, set as a cookie
// with the session's.
const ctxDevice = "coffre.device"

// setDeviceCookie hands the browser its new device token.
func (s *server) setDeviceCookie(c *gin.Context, token string) {
	if token == "" {
		return
	}
	// #nosec G124 -- Secure whenever the base URL is https, as the session cookie.
	http.SetCookie(c.Writer, &http.Cookie{
		Name: s.deviceCookieName(), Value: token, Path: "/", MaxAge: deviceCookieAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// loginOwnerFrom signs an owner in from this browser and renews its device
// cookie on success.
func (s *server) loginOwnerFrom(ctx context.Context, c *gin.Context, ident string, secret []byte) (*vault.Principal, error) {
	p, device, err := s.v.LoginFrom(ctx, ident, secret, s.loginClient(c))
	if err != nil {
		return nil, err
	}
	c.Set(ctxDevice, device)
	return p, nil
}
