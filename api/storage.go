package api

// Bring your own bucket, the owner's side: GET, PUT and DELETE
// /api/v1/me/storage. GET always answers (with the progress of a move,
// also one an organisation's bucket caused); PUT and DELETE are 403 unless
// the operator lets owners use their own bucket.

import (
	"errors"
	"net/http"
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
	errStorageDisabled = newErr(http.StatusForbidden, "storage_disabled",
		"This server does not let you use your own storage.",
		"Ce serveur ne permet pas d'utiliser votre propre espace de stockage.")
	errEndpointRefused = func() *apiError {
		e := newErr(http.StatusUnprocessableEntity, "endpoint_refused",
			"This storage address is not allowed on this server.",
			"Cette adresse de stockage n'est pas autorisée sur ce serveur.")
		e.field = "endpoint"
		return e
	}()
	errStorageUnreachable = newErr(http.StatusUnprocessableEntity, "storage_unreachable",
		"Coffre could not write, read back and delete a test file in this bucket. Check the address, the bucket name and the keys. Nothing was changed.",
		"Coffre n'a pas pu écrire, relire puis effacer un fichier d'essai dans ce bucket. Vérifiez l'adresse, le nom du bucket et les clés. Rien n'a été modifié.")
	errNoOwnStorage = newErr(http.StatusNotFound, "not_found",
		"You are not using your own storage.", "Vous n'utilisez pas votre propre espace de stockage.")
)

// storageFieldMsgs says what is wrong with each setting.
var storageFieldMsgs = map[string]msg{
	"endpoint":   {"Give the storage address as host or host:port, without http:// or a path.", "Indiquez l'adresse du stockage sous la forme hôte ou hôte:port, sans http:// ni chemin."},
	"bucket":     {"The bucket name must be 3 to 63 lower-case letters, digits, dots or dashes.", "Le nom du bucket doit compter 3 à 63 lettres minuscules, chiffres, points ou tirets."},
	"region":     {"The region must be lower-case letters, digits and dashes.", "La région doit être faite de lettres minuscules, de chiffres et de tirets."},
	"prefix":     {"The prefix must be lower-case letters, digits, dashes, underscores and slashes.", "Le préfixe doit être fait de lettres minuscules, chiffres, tirets, soulignés et barres obliques."},
	"access_key": {"Give the access key (without spaces).", "Indiquez la clé d'accès (sans espace)."},
	"secret_key": {"Give the secret key (without spaces).", "Indiquez la clé secrète (sans espace)."},
}

// storageError maps the vault's storage errors to API errors; others pass.
func storageError(err error) error {
	var fe *vault.StorageFieldError
	switch {
	case errors.As(err, &fe):
		m, ok := storageFieldMsgs[fe.Field]
		if !ok {
			return err
		}
		return fieldErr(fe.Field, m.en, m.fr)
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
