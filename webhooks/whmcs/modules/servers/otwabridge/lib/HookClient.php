<?php
/**
 * One signed POST to the bridge and the reading of its reply.
 *
 * Transport: cURL when the extension is loaded, else PHP's http:// stream wrapper (Debian's
 * php-cli has no cURL; WHMCS hosts that disable allow_url_fopen usually have cURL). The
 * constant OTWABRIDGE_TRANSPORT ("curl" | "stream") forces one (tests use it).
 *
 * webhook-id: one fresh id per module call, reused only by this call's own resend. The
 * bridge dedupes creates per panel + service + generation and the other actions are
 * idempotent at Otwa, so a WHMCS retry (Module Queue "Retry", a second Create click) being
 * a new event is safe; a deterministic id per (function, serviceid) would instead make a
 * later, legitimate second Suspend replay the first one's reply and do nothing.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class HookClient
{
    /** A failed connect faster than this is retried once with the same webhook-id. */
    private const FAST_FAILURE_SECONDS = 3.0;

    /** @var array{url: string, webhook_id: string, attempts: int, status: int, raw: string, error: ?string} */
    public array $last = ['url' => '', 'webhook_id' => '', 'attempts' => 0, 'status' => 0, 'raw' => '', 'error' => null];

    public function __construct(private readonly Settings $settings)
    {
    }

    /**
     * Send $body (already built) for module function $function. Returns the decoded reply
     * when it says {"ok": true} (200 done or 202 queued: either way the bridge owns the work
     * now); throws BridgeError with a staff-readable message otherwise. $this->last keeps
     * what happened for the module log.
     */
    public function send(string $function, array $body): array
    {
        $raw = Payload::encode($body);
        $id = Signer::webhookId($function, $body['serviceid'] ?? 0);
        $this->last = ['url' => $this->settings->hookUrl, 'webhook_id' => $id, 'attempts' => 0,
            'status' => 0, 'raw' => '', 'error' => null];
        $started = microtime(true);
        do {
            $this->last['attempts']++;
            $attemptStart = microtime(true);
            $timestamp = time();
            $headers = [
                'Content-Type: application/json',
                'Accept: application/json',
                'User-Agent: otwabridge-whmcs/1.0',
                'webhook-id: ' . $id,
                'webhook-timestamp: ' . $timestamp,
                'webhook-signature: ' . Signer::sign($this->settings->secret, $id, $timestamp, $raw),
            ];
            [$status, $reply, $error] = $this->post($headers, $raw);
            $this->last['status'] = $status;
            $this->last['raw'] = $reply;
            $this->last['error'] = $error;
            // Only a connect that failed at once is resent (same id, same body: the bridge
            // replays if the first one did arrive); a slow failure would double the wait.
            $retry = $status === 0 && $this->last['attempts'] < 2
                && microtime(true) - $attemptStart < self::FAST_FAILURE_SECONDS
                && microtime(true) - $started < $this->settings->timeout / 2;
            if ($retry) {
                usleep(300000);
            }
        } while ($retry);

        return self::interpret($status, $reply, $error, $this->settings->hookUrl);
    }

    /**
     * The reply as an array when ok is true; BridgeError otherwise, worded for staff:
     * "Otwa bridge: <message> [<code>, HTTP <status>]".
     */
    public static function interpret(int $status, string $raw, ?string $error, string $url): array
    {
        if ($status === 0) {
            throw new BridgeError(
                'Could not reach the Otwa bridge at ' . self::safeUrl($url) . ': '
                . ($error ?: 'no reply') . '. Check the server record\'s hostname, port and SSL '
                . 'setting, and that the bridge is running.',
                'unreachable'
            );
        }
        $reply = json_decode($raw, true);
        if (!is_array($reply)) {
            throw new BridgeError(
                'The Otwa bridge at ' . self::safeUrl($url) . ' answered HTTP ' . $status
                . ' without a JSON reply; check that the server record points at the bridge '
                . '(not a proxy or another site).',
                'bad_reply',
                $status
            );
        }
        if (($reply['ok'] ?? null) === true) {
            return $reply;
        }
        $err = is_array($reply['error'] ?? null) ? $reply['error'] : [];
        $code = is_string($err['code'] ?? null) ? $err['code'] : 'error';
        $message = is_string($err['message'] ?? null) && $err['message'] !== ''
            ? $err['message'] : 'the bridge refused the request';
        $details = '';
        if (is_array($err['details'] ?? null)) {
            $items = [];
            foreach (array_slice($err['details'], 0, 3) as $d) {
                if (is_array($d) && isset($d['message']) && is_string($d['message'])) {
                    $items[] = (isset($d['path']) && is_string($d['path']) && $d['path'] !== '' ? $d['path'] . ': ' : '')
                        . $d['message'];
                }
            }
            $details = $items ? ' (' . implode('; ', $items) . ')' : '';
        }

        $error = new BridgeError(
            'Otwa bridge: ' . rtrim($message) . $details . ' [' . $code . ', HTTP ' . $status . ']',
            $code,
            $status
        );
        $error->details = is_array($err['details'] ?? null) ? $err['details'] : [];
        throw $error;
    }

    /** The URL without any user info (a host cannot carry secrets otherwise). */
    private static function safeUrl(string $url): string
    {
        return (string) preg_replace('#://[^/@]*@#', '://', $url);
    }

    /** @return array{0: int, 1: string, 2: ?string} status (0: no reply), body, error text */
    private function post(array $headers, string $raw): array
    {
        $transport = defined('OTWABRIDGE_TRANSPORT') ? (string) OTWABRIDGE_TRANSPORT : '';
        if ($transport === 'curl' || ($transport === '' && function_exists('curl_init'))) {
            return $this->postCurl($headers, $raw);
        }

        return $this->postStream($headers, $raw);
    }

    private function postCurl(array $headers, string $raw): array
    {
        $ch = curl_init($this->settings->hookUrl);
        curl_setopt_array($ch, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $raw,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_CONNECTTIMEOUT => min(10, $this->settings->timeout),
            CURLOPT_TIMEOUT => $this->settings->timeout,
            CURLOPT_SSL_VERIFYPEER => true,
            CURLOPT_SSL_VERIFYHOST => 2,
        ]);
        $body = curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $error = $body === false ? curl_error($ch) : null;
        curl_close($ch);

        return [$body === false ? 0 : $status, $body === false ? '' : (string) $body, $error];
    }

    private function postStream(array $headers, string $raw): array
    {
        if (!filter_var(ini_get('allow_url_fopen'), FILTER_VALIDATE_BOOLEAN)) {
            return [0, '', 'PHP has neither the curl extension nor allow_url_fopen enabled'];
        }
        $headers[] = 'Content-Length: ' . strlen($raw);
        $headers[] = 'Connection: close';
        $context = stream_context_create([
            'http' => [
                'method' => 'POST',
                'header' => implode("\r\n", $headers),
                'content' => $raw,
                'timeout' => (float) $this->settings->timeout,
                'ignore_errors' => true,      // 4xx/5xx bodies carry the bridge's error JSON
                'follow_location' => 0,
                'protocol_version' => 1.1,
            ],
            'ssl' => ['verify_peer' => true, 'verify_peer_name' => true],
        ]);
        $warning = null;
        set_error_handler(static function (int $no, string $msg) use (&$warning): bool {
            $warning = preg_replace('/^file_get_contents\([^)]*\): /', '', $msg);

            return true;
        });
        try {
            $body = file_get_contents($this->settings->hookUrl, false, $context);
            $responseHeaders = function_exists('http_get_last_response_headers')
                ? (http_get_last_response_headers() ?? [])
                : ($http_response_header ?? []);
        } finally {
            restore_error_handler();
        }
        $status = 0;
        foreach ($responseHeaders as $line) {  // the last status line wins (no redirects here)
            if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m)) {
                $status = (int) $m[1];
            }
        }
        if ($body === false || $status === 0) {
            return [0, '', $warning ?: 'no HTTP reply'];
        }

        return [$status, $body, null];
    }
}
