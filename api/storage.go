package api

// Bring your own bucket, the owner's side: GET, PUT and DELETE
// /api/v1/me/storage. GET always answers (with the progress of a move,
// also one an organisation's bucket caused); PUT and DELETE are 403 unless
// the operator lets owners use their own bucket.

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

func (s *server) storageRoutes(o *gin.RouterGroup) {
	o.GET("/me/storage", s.getStorage)
	o.PUT("/me/storage", s.putStorage)
	o.DELETE("/me/storage", s.deleteStorage)
}

type storageBucketJSON struct {
	Endpoint string    `json:"endpoint"`
	Bucket   string    `json:"bucket"`
	Region   string    `json:"region,omitempty"`
	Prefix   string    `json:"prefix,omitempty"`
	TLS      bool      `json:"tls"`
	Since    time.Time `json:"since"`
}

type storageJSON struct {
	// Allowed: the operator lets owners use their own bucket.
	Allowed bool `json:"allowed"`
	// Bucket is the owner's own bucket, null when none.
	Bucket   *storageBucketJSON    `json:"bucket"`
	Progress vault.StorageProgress `json:"progress"`
}

func (s *server) storageView(info vault.StorageInfo) storageJSON {
	out := storageJSON{Allowed: s.v.OwnerBucketsEnabled(), Progress: info.Progress}
	if info.TargetID != "" {
		out.Bucket = &storageBucketJSON{Endpoint: info.Endpoint, Bucket: info.Bucket, Region: info.Region,
			Prefix: info.Prefix, TLS: info.UseTLS, Since: info.Created}
	}
	return out
}

func (s *server) getStorage(c *gin.Context) {
	info, err := s.v.OwnerStorage(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, storageError(err))
		return
	}
	c.JSON(http.StatusOK, s.storageView(info))
}

type storageReq struct {
	Endpoint  string `json:"endpoint"`
	Bucket    string `json:"bucket"`
	Region    string `json:"region"`
	Prefix    string `json:"prefix"`
	TLS       *bool  `json:"tls"`
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

func (s *server) putStorage(c *gin.Context) {
	if !s.v.OwnerBucketsEnabled() {
		writeError(c, s.log, errStorageDisabled)
		return
	}
	var req storageReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	st := vault.StorageSettings{Endpoint: req.Endpoint, Bucket: req.Bucket, Region: req.Region, Prefix: req.Prefix,
		UseTLS: req.TLS == nil || *req.TLS, AccessKey: req.AccessKey, SecretKey: req.SecretKey}
	ctx := c.Request.Context()
	if _, err := s.v.SetOwnerStorage(ctx, principal(c), st); err != nil {
		writeError(c, s.log, storageError(err))
		return
	}
	info, err := s.v.OwnerStorage(ctx, principal(c))
	if err != nil {
		writeError(c, s.log, storageError(err))
		return
	}
	c.JSON(http.StatusOK, s.storageView(info))
}

func (s *server) deleteStorage(c *gin.Context) {
	if !s.v.OwnerBucketsEnabled() {
		writeError(c, s.log, errStorageDisabled)
		return
	}
	if err := s.v.ClearOwnerStorage(c.Request.Context(), principal(c)); err != nil {
		writeError(c, s.log, storageError(err))
		return
	}
	c.Status(http.StatusNoContent)
}

var (
	errStorageDisabled = newErr(http.StatusForbidden, "storage_disabled", "api.storage_disabled.server_does_let")
	errEndpointRefused = func() *apiError {
		e := newErr(http.StatusUnprocessableEntity, "endpoint_refused", "api.endpoint_refused.storage_address_allowed")
		e.field = "endpoint"
		return e
	}()
	errStorageUnreachable = newErr(http.StatusUnprocessableEntity, "storage_unreachable", "api.storage_unreachable.coffre_could_write")
	errNoOwnStorage       = newErr(http.StatusNotFound, "not_found", "api.not_found.using_own_storage")
)

// storageFields are the settings with their own message
// ("api.storage.<field>": what is wrong with it).
var storageFields = []string{"endpoint", "bucket", "region", "prefix", "access_key", "secret_key"}

// storageError maps the vault's storage errors to API errors; others pass.
func storageError(err error) error {
	var fe *vault.StorageFieldError
	switch {
	case errors.As(err, &fe):
		if !slices.Contains(storageFields, fe.Field) {
			return err
		}
		return fieldErr(fe.Field, "api.storage."+fe.Field)
	case errors.Is(err, vault.ErrStorageDisabled):
		return errStorageDisabled
	case errors.Is(err, vault.ErrEndpointRefused):
		return errEndpointRefused
	case errors.Is(err, vault.ErrStorageUnreachable):
		return errStorageUnreachable
	case errors.Is(err, vault.ErrNotFound):
		return errNoOwnStorage
	}
	return err
}
