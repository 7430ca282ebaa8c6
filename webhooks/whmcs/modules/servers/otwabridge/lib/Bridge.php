<?php
/**
 * One call to the bridge as the module makes it: build the body from $params, sign, send,
 * log (secrets scrubbed), and return the {"ok": true} reply or throw BridgeError.
 *
 * BridgeError messages are written for staff (they name the bridge, codes and HTTP
 * status); code that answers a client turns them into Messages::forClient() text.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Bridge
{
    /**
     * Send $action for the service (or server) in $params; $function names the WHMCS entry
     * point in the webhook-id and the module log. $extra becomes the body's "params".
     *
     * @return array the decoded reply: ["ok" => true, "operation" => [...] or null (a read, validate:
     *               nothing recorded), "result" => [...]]
     */
    public static function call(string $function, string $action, array $params, array $extra = []): array
    {
        $request = ['action' => $action];
        $client = null;
        try {
            $settings = Settings::fromParams($params);
            $body = Payload::build($action, $params, $extra);
            $request = ['url' => $settings->hookUrl, 'body' => $body];
            $client = new HookClient($settings);
            $reply = $client->send($function, $body);
            $request += ['webhook_id' => $client->last['webhook_id'], 'attempts' => $client->last['attempts']];
            ModuleLog::write($function, $request, ModuleLog::reply($client->last),
                'success (HTTP ' . $client->last['status'] . ')', $params, ModuleLog::replySecrets($reply));

            return $reply;
        } catch (\Throwable $e) {
            if ($client !== null) {
                $request += ['webhook_id' => $client->last['webhook_id'], 'attempts' => $client->last['attempts']];
            }
            ModuleLog::write($function, $request, $client ? ModuleLog::reply($client->last) : '',
                self::staffMessage($e), $params);
            $error = $e instanceof BridgeError ? $e : new BridgeError(self::staffMessage($e), 'module_error');
            $error->reference = $client !== null ? (string) $client->last['webhook_id'] : '';
            throw $error;
        }
    }

    /** The reply's result (an empty array when the bridge sent none). */
    public static function result(array $reply): array
    {
        return is_array($reply['result'] ?? null) ? $reply['result'] : [];
    }

    /** True when the bridge queued the work (HTTP 202) instead of finishing it inline. */
    public static function queued(array $reply): bool
    {
        return !empty($reply['result']['queued']);
    }

    /** The staff-readable text of any failure. */
    public static function staffMessage(\Throwable $e): string
    {
        if ($e instanceof BridgeError) {
            return $e->getMessage();
        }

        return 'otwabridge module error: ' . $e->getMessage();
    }
}
