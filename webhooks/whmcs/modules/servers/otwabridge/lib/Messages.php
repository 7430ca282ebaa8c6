<?php
/**
 * What a client reads when a call failed: a sentence from lang/ chosen by the bridge's
 * error code, with the webhook-id as a support reference. Never the bridge URL, an HTTP
 * status, an upstream code or the provider's name (those stay in the module log, which
 * Bridge::call already wrote).
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Messages
{
    /** Bridge error code => lang key of the client sentence. */
    private const CLIENT_KEYS = [
        'service_suspended' => 'error_suspended',
        'no_server' => 'error_no_server',
        'otwa_conflict' => 'error_busy',
        'rate_limited' => 'error_busy',
        'unknown_action' => 'error_generic',
    ];

    public static function forClient(\Throwable $e, Lang $lang): string
    {
        $code = $e instanceof BridgeError ? $e->errorCode : 'module_error';
        $key = self::CLIENT_KEYS[$code] ?? 'error_unavailable';
        $text = $lang->get($key);
        $reference = $e instanceof BridgeError ? $e->reference : '';
        if ($reference !== '') {
            $text .= ' ' . $lang->get('error_reference', ['reference' => $reference]);
        }

        return $text;
    }

    /** Staff text in the admin area and cron, client text in the client area. */
    public static function forAudience(\Throwable $e, array $params): string
    {
        return Audience::isClient() ? self::forClient($e, Lang::forParams($params)) : Bridge::staffMessage($e);
    }
}
