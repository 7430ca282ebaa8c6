<?php
/**
 * Text helpers that need no mbstring (not every WHMCS host has it).
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Text
{
    /** At most $max characters (not bytes) of UTF-8 $text. */
    public static function cut(string $text, int $max): string
    {
        return preg_match('/^.{0,' . $max . '}/us', $text, $m) ? $m[0] : substr($text, 0, $max);
    }
}
