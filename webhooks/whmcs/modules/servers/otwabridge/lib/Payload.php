<?php
/**
 * The hook body for one module call: the WHMCS vocabulary of the bridge
 * (webhooks/schema/whmcs.schema.json), built from an allow-list of $params keys.
 *
 * Never forwarded: password, serverpassword, serveraccesshash, serverusername, the
 * Eloquent "model", and every clientsdetails key outside CLIENT_FIELDS. The bridge reads
 * no more than what is sent here, so an allow-list (not a deny-list) keeps a future
 * WHMCS key with a secret in it from leaking.
 *
 * Values are forwarded as WHMCS sends them: a configurable option or custom field named
 * "key|Display" arrives under "key"; a sub-option named "value|Display" arrives as
 * "value"; yes/no and quantity options arrive as the quantity (0, 1, n).
 *
 * Product add-ons (WHMCS passes addonId > 0): "serviceid" is the parent service and
 * "pid" is the add-on's tbladdons id, so the body carries "addonid" and no "pid".
 * Added keys the bridge may use (docs/panels/whmcs.md, "Hook actions"): "addonid",
 * "product_key" (Module Setting 3) and "defaults" {"region", "os"} (settings 4 and 5).
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Payload
{
    /** Client details the bridge uses (name, company, e-mail, country, language). */
    public const CLIENT_FIELDS = ['firstname', 'lastname', 'companyname', 'email', 'country', 'language'];

    /**
     * Body for $action (a bridge action or a WHMCS function name the bridge aliases) with
     * action-specific $extra params. Objects stay objects in JSON even when empty.
     */
    public static function build(string $action, array $params, array $extra = []): array
    {
        $body = [
            'action' => $action,
            'serviceid' => self::id($params['serviceid'] ?? ($params['accountid'] ?? 0)),
            'userid' => self::id($params['userid'] ?? ($params['clientsdetails']['userid'] ?? 0)),
        ];
        $addonId = (int) ($params['addonId'] ?? 0);
        if ($addonId > 0) {
            $body['addonid'] = $addonId;
        } else {
            $pid = $params['pid'] ?? ($params['packageid'] ?? null);
            if ($pid !== null && $pid !== '') {
                $body['pid'] = self::id($pid);
            }
        }
        $key = ProductSettings::text($params, ProductSettings::PRODUCT_KEY);
        if ($key !== '' && $addonId === 0 && preg_match('/^[A-Za-z0-9_-]{1,64}$/', $key)) {
            $body['product_key'] = $key;
        }
        $defaults = array_filter([
            'region' => ProductSettings::text($params, ProductSettings::DEFAULT_REGION),
            'os' => ProductSettings::text($params, ProductSettings::DEFAULT_OS),
        ], static fn (string $v): bool => $v !== '');
        if ($defaults && $addonId === 0) {
            $body['defaults'] = $defaults;
        }
        $domain = $params['domain'] ?? null;
        if (is_string($domain) && trim($domain) !== '' && strlen(trim($domain)) <= 253) {
            $body['domain'] = trim($domain);
        }
        if (isset($params['username']) && is_scalar($params['username']) && $params['username'] !== '') {
            $body['username'] = (string) $params['username'];
        }
        $body['configoptions'] = self::scalars($params['configoptions'] ?? []);
        $body['customfields'] = self::scalars($params['customfields'] ?? []);
        $details = is_array($params['clientsdetails'] ?? null) ? $params['clientsdetails'] : [];
        $client = [];
        foreach (self::CLIENT_FIELDS as $field) {
            if (isset($details[$field]) && is_scalar($details[$field]) && $details[$field] !== '') {
                $client[$field] = (string) $details[$field];
            }
        }
        $body['clientsdetails'] = (object) $client;
        $body['params'] = (object) $extra;

        return $body;
    }

    /** The exact bytes to sign and send. */
    public static function encode(array $body): string
    {
        return json_encode(
            $body,
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE
            | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR
        );
    }

    /** A WHMCS id as the schema wants it: a non-negative integer, or [A-Za-z0-9_-]{1,64}. */
    public static function id($value): int|string
    {
        if (is_int($value) && $value >= 0) {
            return $value;
        }
        $text = trim((string) (is_scalar($value) ? $value : ''));
        if ($text !== '' && ctype_digit($text) && strlen($text) < 19) {
            return (int) $text;
        }
        if (preg_match('/^[A-Za-z0-9_-]{1,64}$/', $text)) {
            return $text;
        }
        throw new BridgeError('WHMCS passed an id the bridge cannot use: ' . substr($text, 0, 40), 'invalid_id');
    }

    /** Option name => scalar value (arrays, objects and resources are dropped). */
    private static function scalars($values): object
    {
        $out = [];
        if (is_array($values)) {
            foreach ($values as $name => $value) {
                if ($value === null || is_scalar($value)) {
                    $out[(string) $name] = $value;
                }
            }
        }

        return (object) $out;
    }
}
