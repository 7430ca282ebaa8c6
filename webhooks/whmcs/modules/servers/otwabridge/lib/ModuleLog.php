<?php
/**
 * logModuleCall with every secret of the call handed to WHMCS for scrubbing, and nothing
 * secret in the logged request or reply to begin with.
 *
 * Scrubbed ($replaceVars): the hook secret (with and without "whsec_"), the server access
 * hash, the service password, and any extra values (login links, new root passwords).
 * Login links and passwords in a reply are replaced before logging, so the entry is safe
 * even where WHMCS's scrubbing would miss a transformed copy.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class ModuleLog
{
    public const MODULE = 'otwabridge';

    /** Keys of a reply's "result" that are bearer secrets and never logged. */
    private const SECRET_RESULT_KEYS = ['url' => '[one-time login link, not logged]',
        'password' => '[new root password, not logged]'];

    /** One module log entry; never throws (the log is diagnostics, not provisioning). */
    public static function write(string $action, $request, $response, $processed, array $params, array $more = []): void
    {
        if (!function_exists('logModuleCall')) {
            return;
        }
        try {
            logModuleCall(self::MODULE, $action, $request, $response, $processed, self::secrets($params, $more));
        } catch (\Throwable) {
            // A failing logger must not fail provisioning.
        }
    }

    /** The values WHMCS should scrub for a call made with $params. */
    public static function secrets(array $params, array $more = []): array
    {
        $secrets = [];
        foreach (['serverpassword', 'serveraccesshash', 'password'] as $key) {
            $value = $params[$key] ?? null;
            if (is_string($value) && $value !== '') {
                $secrets[] = $value;
                if (str_starts_with($value, 'whsec_')) {
                    $secrets[] = substr($value, 6);
                }
            }
        }
        foreach ($more as $value) {
            if (is_string($value) && $value !== '') {
                $secrets[] = $value;
            }
        }

        return array_values(array_unique($secrets));
    }

    /** The bridge's reply as logged: status line plus JSON with bearer secrets replaced. */
    public static function reply(array $last): string
    {
        if ($last['status'] === 0) {
            return 'no reply: ' . (string) $last['error'];
        }
        $reply = json_decode($last['raw'], true);
        if (!is_array($reply)) {
            return 'HTTP ' . $last['status'] . ' (not JSON, ' . strlen($last['raw']) . ' bytes)';
        }
        if (is_array($reply['result'] ?? null)) {
            foreach (self::SECRET_RESULT_KEYS as $key => $mask) {
                if (isset($reply['result'][$key])) {
                    $reply['result'][$key] = $mask;
                }
            }
        }

        return 'HTTP ' . $last['status'] . ' ' . json_encode($reply, JSON_UNESCAPED_SLASHES);
    }

    /** Bearer secrets in a reply's result, for $replaceVars. */
    public static function replySecrets(array $reply): array
    {
        $out = [];
        foreach (array_keys(self::SECRET_RESULT_KEYS) as $key) {
            $value = $reply['result'][$key] ?? null;
            if (is_string($value) && $value !== '') {
                $out[] = $value;
            }
        }

        return $out;
    }
}
