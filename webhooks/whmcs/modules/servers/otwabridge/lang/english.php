<?php
/**
 * Client-area strings of the otwabridge module (English). Copy a key into
 * lang/overrides/english.php (or lang/overrides/<language>.php) to change it without
 * touching this file; "{brand}" is Module Setting "Name shown to clients".
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

$_LANG['otwabridge_brand_default'] = 'control panel';
$_LANG['otwabridge_heading'] = 'Your server';
$_LANG['otwabridge_status'] = 'Status';
$_LANG['otwabridge_status_running'] = 'Running';
$_LANG['otwabridge_status_stopped'] = 'Stopped';
$_LANG['otwabridge_status_building'] = 'Being set up';
$_LANG['otwabridge_status_pending'] = 'Being set up';
$_LANG['otwabridge_status_suspended'] = 'Suspended';
$_LANG['otwabridge_status_failed'] = 'Needs attention';
$_LANG['otwabridge_status_terminated'] = 'Removed';
$_LANG['otwabridge_status_unknown'] = 'Unknown';
$_LANG['otwabridge_primary_ip'] = 'Primary IP';
$_LANG['otwabridge_extra_ips'] = 'Additional IPs';
$_LANG['otwabridge_os'] = 'Operating system';
$_LANG['otwabridge_region'] = 'Location';
$_LANG['otwabridge_plan'] = 'Plan';
$_LANG['otwabridge_hostname'] = 'Hostname';
$_LANG['otwabridge_not_available'] = 'Not available yet';
$_LANG['otwabridge_stats'] = 'Live usage';
$_LANG['otwabridge_stats_none'] = 'Live usage appears here while the server is running.';
$_LANG['otwabridge_cpu'] = 'CPU';
$_LANG['otwabridge_memory'] = 'Memory';
$_LANG['otwabridge_disk_io'] = 'Disk I/O';
$_LANG['otwabridge_network'] = 'Network';
$_LANG['otwabridge_power'] = 'Power';
$_LANG['otwabridge_start'] = 'Start';
$_LANG['otwabridge_stop'] = 'Stop';
$_LANG['otwabridge_reboot'] = 'Reboot';
$_LANG['otwabridge_stop_confirm'] = 'Stop the server now? Running programs are cut off.';
$_LANG['otwabridge_reboot_confirm'] = 'Reboot the server now?';
$_LANG['otwabridge_reinstall'] = 'Reinstall';
$_LANG['otwabridge_reinstall_help'] = 'Reinstalling erases everything on the server\'s disk and installs a fresh system.';
$_LANG['otwabridge_reinstall_choose'] = 'Operating system to install';
$_LANG['otwabridge_reinstall_same'] = 'The server\'s current operating system is installed again.';
$_LANG['otwabridge_reinstall_confirm'] = 'I understand that all data on this server will be erased.';
$_LANG['otwabridge_reinstall_button'] = 'Erase and reinstall';
$_LANG['otwabridge_reinstall_disabled'] = 'Reinstalling is not available for this service; please contact support.';
$_LANG['otwabridge_reset_password'] = 'Reset root password';
$_LANG['otwabridge_reset_password_help'] = 'Creates a new root password. The old one stops working at once.';
$_LANG['otwabridge_reset_password_button'] = 'Create a new password';
$_LANG['otwabridge_reset_password_confirm'] = 'Create a new root password now? The current one stops working.';
$_LANG['otwabridge_new_password'] = 'Your new root password';
$_LANG['otwabridge_new_password_once'] = 'Copy it now: for your security it is shown only this once.';
$_LANG['otwabridge_new_password_pending'] = 'A new root password is being set. It appears in your service details within a minute.';
$_LANG['otwabridge_back'] = 'Back to the service';
$_LANG['otwabridge_open_panel'] = 'Open {brand}';
$_LANG['otwabridge_refresh'] = 'Refresh';
$_LANG['otwabridge_error_unavailable'] = 'Your server cannot be reached right now. Please try again in a few minutes; if this keeps happening, contact support.';
$_LANG['otwabridge_error_suspended'] = 'This service is suspended, so this action is not available.';
$_LANG['otwabridge_error_no_server'] = 'Your server is not ready yet. Please try again in a few minutes.';
$_LANG['otwabridge_error_busy'] = 'Your server is busy with another change. Please try again in a minute.';
$_LANG['otwabridge_error_generic'] = 'That did not work. Please try again or contact support.';
$_LANG['otwabridge_error_inactive'] = 'This action is only available while the service is active.';
$_LANG['otwabridge_error_confirm'] = 'Please tick the confirmation box to reinstall.';
$_LANG['otwabridge_error_reference'] = '(Reference: {reference})';
$_LANG['otwabridge_cart_unavailable'] = 'The option "{option}" you chose for {product} is not available. Please choose another value.';
$_LANG['otwabridge_cart_product'] = '{product} cannot be ordered right now. Please contact support.';
$_LANG['otwabridge_upgrade_unavailable'] = 'This change cannot be made automatically for your server. Please contact support.';
