package notify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/coffre/coffre/vault"
)

// ServeConfig is what `coffre serve` passes to Start: the settings an
// operator gives (flags or COFFRE_* variables).
type ServeConfig struct {
	// BaseURL is the vault's public URL, linked from messages.
	BaseURL string
	// SMTPHost enables e-mail when set; SMTPPort (default 587),
	// SMTPSecurity (starttls, tls or none), SMTPUser and SMTPPasswordFile
	// (a file holding the password), SMTPFrom (the sender address).
	SMTPHost         string
	SMTPPort         int
	SMTPSecurity     string
	SMTPUser         string
	SMTPPasswordFile string
	SMTPFrom         string
	// VAPIDKeyFile enables Web Push when set: the VAPID private key,
	// created (mode 0600) when absent. PushSubscriber is the contact given
	// to push services (default: mailto:<SMTPFrom address> or BaseURL when
	// https).
	VAPIDKeyFile   string
	PushSubscriber string
	// OnError receives background failures (to log them: they hold ids and
	// kinds only).
	OnError func(error)
}

// Start builds the notifications of a server from sc: the channels it
// configures, the service attached to v's journal (access alerts), and
// the scheduler running until ctx ends. stop detaches the service from
// the journal and waits for the scheduler to return (call it after
// cancelling ctx, before closing the database).
func Start(ctx context.Context, v *vault.Service, store Store, sc ServeConfig) (svc *Service, stop func(), err error) {
	chans := map[Channel]Notifier{}
	if sc.SMTPHost != "" {
		pw := ""
		if sc.SMTPPasswordFile != "" {
			b, err := os.ReadFile(sc.SMTPPasswordFile)
			if err != nil {
				return nil, nil, fmt.Errorf("notify: smtp password file: %w", err)
			}
			pw = strings.TrimRight(string(b), "\r\n")
		}
		port := sc.SMTPPort
		if port == 0 {
			port = 587
			if sc.SMTPSecurity == SMTPTLS {
				port = 465
			}
		}
		m, err := NewSMTP(SMTPConfig{
			Host: sc.SMTPHost, Port: port, Security: sc.SMTPSecurity,
			Username: sc.SMTPUser, Password: pw, From: sc.SMTPFrom,
		})
		if err != nil {
			return nil, nil, err
		}
		chans[ChannelEmail] = m
	}
	if sc.VAPIDKeyFile != "" {
		key, err := LoadVAPIDKeyFile(sc.VAPIDKeyFile)
		if errors.Is(err, fs.ErrNotExist) {
			key, err = WriteVAPIDKeyFile(sc.VAPIDKeyFile)
		}
		if err != nil {
			return nil, nil, err
		}
		sub := sc.PushSubscriber
		if sub == "" {
			if m, ok := chans[ChannelEmail].(*SMTP); ok {
				sub = "mailto:" + m.from.Address
			} else if strings.HasPrefix(sc.BaseURL, "https://") {
				sub = sc.BaseURL
			}
		}
		wp, err := NewWebPush(WebPushConfig{Key: key, Subscriber: sub})
		if err != nil {
			return nil, nil, err
		}
		chans[ChannelPush] = wp
	}
	svc, err = New(Config{Vault: v, Store: store, Channels: chans, BaseURL: sc.BaseURL, OnError: sc.OnError})
	if err != nil {
		return nil, nil, err
	}
	v.SetEventSink(svc)
	var wg sync.WaitGroup
	wg.Go(func() { _ = svc.Run(ctx) })
	var once sync.Once
	stop = func() {
		once.Do(func() {
			v.SetEventSink(nil)
			wg.Wait()
		})
	}
	return svc, stop, nil
}

// VAPIDPublicKey is the key the web page subscribes with ("" when Web
// Push is off).
func (s *Service) VAPIDPublicKey() string {
	if wp, ok := s.channels[ChannelPush].(*WebPush); ok {
		return wp.PublicKey()
	}
	return ""
}
