<?php
/**
 * Who will read a message: staff (admin area, cron, API) or a client (client area).
 *
 * WHMCS defines CLIENTAREA on client-area pages and ADMINAREA on admin pages; module
 * functions called from the cron or the API have neither and answer staff.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Audience
{
    public static function isClient(): bool
    {
        return defined('CLIENTAREA') && !defined('ADMINAREA');
    }
}
