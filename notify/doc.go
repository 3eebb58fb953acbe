// Package notify tells people what happens to their papers when they are
// not looking: expiry reminders, access alerts and request updates that
// reach an owner who only has a phone, and the workers they deal with.
//
// # What is sent
//
//   - Expiry reminders (KindReminder): a document's type has a notice
//     period in the vault's catalogue (vault.DocType.NoticeDays: 90 days for
//     a residence permit…; Config.DefaultNoticeDays otherwise); when it
//     begins, the owner gets one reminder per channel with the type's
//     official renewal link (vault.DocType.RenewalURL).
//   - Access alerts (KindAccess): a worker viewed or downloaded a document,
//     a drop link was used, a consent ends within Config.ConsentNotice or
//     has ended, access was restored by assisted recovery. They come from
//     the vault's journal: Service implements vault.EventSink and is
//     attached with (*vault.Service).SetEventSink.
//   - Request updates (KindRequest), for workers: a document they may read
//     under a consent arrived (by drop link or added by the owner).
//
// No message holds document content or a token (drop links are never
// linked), and a document's title only when its owner allowed titles
// (Settings.AllowTitles); otherwise documents are named by their type.
// Messages are said from the catalogue (package api/i18n, keys "notify.*")
// in the recipient's language (the settings', else the account's); the
// inbox keeps the facts and says them again in the language of the page
// that shows them (InboxIn). A worker's reads of one paper in one (Paris)
// day are one message: the inbox shows them as one ("3 fois aujourd'hui"),
// e-mail and push send the first only.
//
// # Channels
//
// Each channel is a Notifier (Send(ctx, Message) error), defined here by
// its consumer, the outbox. Errors are classified with sentinels:
// ErrTemporary (retry with backoff), ErrPermanent (give up), ErrGone (the
// address is gone: the contact is disabled); anything unclassified is
// retried. The channels are:
//
//   - the in-app inbox, always on: entries stored in the metadata
//     database, sealed (vault/seal, age) to the recipient's public key, so
//     the database holds no readable text; Service.Inbox opens them with
//     the logged-in principal;
//   - e-mail (SMTP, net/smtp): STARTTLS, implicit TLS or plain to a local
//     relay, PLAIN authentication, UTF-8 quoted-printable text;
//   - Web Push (github.com/SherClockHolmes/webpush-go): RFC 8291
//     aes128gcm payload encryption to the browser subscription's keys and
//     VAPID (RFC 8292) signatures; endpoints must be https on a known push
//     service (DefaultPushHosts), so a stored address cannot aim the
//     server at an internal host.
//
// # Adding an SMS provider
//
// SMS plugs in through the same interface, with no change to the outbox:
//
//  1. Write a type with Send(ctx, m Message) error that posts m.Subject
//     (or a shortened m.Body; keep under 160 GSM-7 characters or 70 UCS-2)
//     to the provider's API for the phone number m.To (E.164, "+33612345678").
//     Map the provider's answers: throttling, 5xx and network errors to
//     Temporary(...), a rejected number to ErrGone, other refusals to
//     Permanent(...). Pass m.ID as the provider's idempotency or client
//     reference when it has one, so that a retried send is not billed twice.
//  2. Optionally implement AddressValidator to accept only numbers the
//     provider can reach (vault.NormalizeIdentifier already turns French
//     mobile numbers into +33… form).
//  3. Register it: Config.Channels[ChannelSMS] = provider. Owners then add
//     a phone number with Service.AddContact(ctx, r, ChannelSMS, number); it
//     is stored sealed like every address, and preferences and quiet hours
//     apply to it as to e-mail and push.
//
// # Scheduling
//
// Everything goes through an outbox table (migration 0005), so nothing is
// lost to a restart and several instances can share the work:
//
//   - Each notification and channel address is one row with a UNIQUE
//     idempotency key (reminder:<document>:<channel>[.<contact>]:<due
//     date>, event:<id>:<channel>…): planning the same reminder from two
//     instances queues it once. Reminders and consent-ending alerts are
//     planned by ScanOnce from the database (documents.expires_at,
//     consents.expires_at), each plan key taken once.
//   - A sender claims a due row with UPDATE … SET claimed_until = now+lease
//     WHERE id = ? AND claimed_until < now (portable to PostgreSQL): only
//     one instance sends it. A claim expires after Config.Lease, so a
//     crashed sender's rows are taken over; one send attempt is limited to
//     a third of the lease, so a live sender never loses its claim
//     (instances' clocks must agree to well within that: NTP does).
//     Delivery is at least once: a crash after the channel accepted a
//     message but before it was marked sent makes it go again (the inbox
//     and Web Push deduplicate by message ID; e-mail carries it in
//     Message-ID).
//   - A temporary failure puts the row back with exponential backoff
//     (RetryBase doubling up to RetryMax, with jitter) until MaxAttempts.
//   - Quiet hours hold e-mail, push and SMS back until they end; the
//     inbox gets everything at once. Preferences are checked again at send
//     time.
//   - The clock is injected (Config.Now); RunOnce and ScanOnce do one
//     round each, Run loops until its context ends.
//
// # At rest
//
// Settings, contact addresses and queued payloads are sealed to an age
// identity derived from the server pepper for this package
// ((*vault.Service).PurposeIdentity("notify")): a database dump alone
// reveals no address, name or message. Addresses are unique by HMAC.
// The outbox records only a classification of failures, never a
// channel's error text (which could quote an address).
package notify
