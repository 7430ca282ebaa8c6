<?php
/**
 * Create, Suspend, Unsuspend, Terminate and Change Package: called by the cron, by staff,
 * by the API and at checkout. They return 'success' or a sentence for staff (WHMCS shows
 * it in the admin area and the Module Queue, never to the client).
 *
 * A product add-on (addonId > 0) is routed to Addons: its serviceid is the parent service,
 * and nothing here may touch the parent's server on the add-on's behalf.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Lifecycle
{
    public static function create(array $params): string
    {
        if (Addons::isAddon($params)) {
            return Addons::create($params);
        }

        return self::run('CreateAccount', 'CreateAccount', $params);
    }

    public static function suspend(array $params): string
    {
        if (Addons::isAddon($params)) {
            return Addons::suspend($params);
        }
        $reason = $params['suspendreason'] ?? '';
        $extra = is_string($reason) && $reason !== '' ? ['reason' => Text::cut($reason, 200)] : [];

        return self::run('SuspendAccount', 'SuspendAccount', $params, $extra);
    }

    public static function unsuspend(array $params): string
    {
        if (Addons::isAddon($params)) {
            return Addons::unsuspend($params);
        }

        return self::run('UnsuspendAccount', 'UnsuspendAccount', $params);
    }

    public static function terminate(array $params): string
    {
        if (Addons::isAddon($params)) {
            return Addons::terminate($params);
        }

        return self::run('TerminateAccount', 'TerminateAccount', $params);
    }

    /** WHMCS already passes the new pid and configurable options. */
    public static function changePackage(array $params): string
    {
        if (Addons::isAddon($params)) {
            return Addons::changePackage($params);
        }

        return self::run('ChangePackage', 'ChangePackage', $params);
    }

    /**
     * 'success' when the bridge accepted $action (200 done or 202 queued), else why not, for
     * staff: these functions also run inside a client's checkout request (auto-setup), but
     * WHMCS shows their answer only to staff (admin page, Module Queue), never the client.
     */
    public static function run(string $function, string $action, array $params, array $extra = []): string
    {
        try {
            $reply = Bridge::call($function, $action, $params, $extra);
            ServerId::remember($params, $reply);

            return 'success';
        } catch (\Throwable $e) {
            return Bridge::staffMessage($e);
        }
    }
}
