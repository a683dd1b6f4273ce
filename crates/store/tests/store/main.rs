//! confab-store against real databases: every scenario runs once on PostgreSQL
//! (`postgres::...`) and once on SQLite (`sqlite::...`), each on a database of its own.
//! PostgreSQL must listen on 127.0.0.1:5432 (see `confab_store::testing`).

// Scenarios are plain async functions the generated `#[tokio::test]`s call, so clippy does
// not see them as tests.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is how a scenario reports failure"
)]

mod access;
mod analytics;
mod changes;
mod concurrency;
mod connecting;
mod conversations;
mod errors;
mod files;
mod group_commit;
mod members;
mod migrations;
mod paging;
mod reactions;
mod reads;
mod reports;
mod schemas;
mod search;
mod sending;
mod support;

/// Generates `postgres::<name>` and `sqlite::<name>` for each scenario: `migrated` ones get
/// a migrated `&Database`, `empty` ones an unmigrated one, `test_db` ones the `&TestDb` (to
/// open pools of their own).
macro_rules! on_both_backends {
    (
        migrated { $($m:ident :: $t:ident),* $(,)? }
        empty { $($em:ident :: $et:ident),* $(,)? }
        test_db { $($bm:ident :: $bt:ident),* $(,)? }
    ) => {
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $t() { crate::support::on_postgres(crate::$m::$t).await })*
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $et() { crate::support::on_empty_postgres(crate::$em::$et).await })*
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $bt() { crate::support::with_postgres(crate::$bm::$bt).await })*
        }
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $t() { crate::support::on_sqlite(crate::$m::$t).await })*
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $et() { crate::support::on_empty_sqlite(crate::$em::$et).await })*
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $bt() { crate::support::with_sqlite(crate::$bm::$bt).await })*
        }
    };
}

on_both_backends! {
    migrated {
        migrations::migrating_down_removes_everything_and_up_restores_it,
        sending::insert_assigns_seq_one_to_n,
        sending::a_stored_message_reads_back_exactly,
        sending::a_retry_with_the_same_client_msg_id_returns_the_stored_message_and_consumes_no_seq,
        sending::the_same_client_msg_id_from_another_sender_is_another_message,
        sending::sending_to_an_unknown_conversation_is_not_found,
        files::files_attach_when_they_are_the_senders_unattached_uploads_in_the_conversation,
        files::an_upload_that_is_not_the_senders_to_attach_fails_validation_and_stores_nothing,
        files::uploads_are_recorded_and_found_through_the_store,
        files::the_file_port_records_finds_lists_expired_and_deletes_only_unattached_uploads,
        paging::paging_back_with_before_returns_every_message_once_in_order,
        paging::messages_after_returns_what_was_missed_oldest_first_with_has_more,
        paging::deleted_messages_keep_their_place_in_pages,
        changes::editing_keeps_the_previous_content_in_the_history,
        changes::deleting_records_who_and_why_and_a_second_delete_changes_nothing,
        changes::editing_or_deleting_an_unknown_message_is_not_found,
        reactions::concurrent_reactions_from_twenty_users_all_land,
        reactions::reacting_twice_changes_nothing_and_removing_the_last_drops_the_emoji,
        reactions::reacting_to_an_unknown_message_is_not_found,
        reactions::racing_new_emoji_never_pass_the_distinct_cap,
        members::a_project_is_created_with_its_members_who_see_it_in_their_list,
        members::a_members_only_conversation_refuses_non_members_and_stores_nothing,
        members::adding_members_is_idempotent_and_an_explicit_role_is_applied,
        members::an_admin_added_participant_becomes_a_member,
        members::removing_a_member_ends_their_part_in_every_conversation_of_the_project,
        reads::mark_read_moves_the_marker_forward_only,
        reads::unread_counts_are_messages_from_others_after_the_marker_without_deleted_ones,
        conversations::an_admins_conversation_gives_unknown_participants_placeholder_users,
        conversations::a_removed_participant_can_be_added_again_with_a_new_role,
        conversations::listing_shows_the_viewers_conversations_newest_activity_first,
        conversations::admins_list_every_conversation_of_the_project,
        conversations::updating_changes_status_and_title_and_can_clear_the_title,
        conversations::upserting_a_user_creates_then_refreshes_email_and_name,
        conversations::projects_are_created_listed_and_found,
        access::access_tells_participants_removed_participants_and_unknown_conversations_apart,
        access::access_checks_made_at_once_each_get_their_own_answer,
        search::search_stems_ranks_and_highlights,
        search::highlights_are_escaped_html_with_marks_only_around_matches,
        search::search_leaves_out_deleted_messages_and_other_conversations,
        search::search_sees_edits,
        search::hostile_search_input_never_errors,
        search::the_search_index_follows_cascading_deletes,
        reports::reports_move_from_pending_to_resolved_and_list_by_status,
        analytics::the_view_moves_only_on_refresh_and_totals_stay_exact,
        analytics::refreshes_racing_with_sends_never_miss_or_double_count,
        errors::a_duplicate_key_is_a_conflict,
        connecting::ping_answers,
        concurrency::concurrent_senders_on_one_store_get_gapless_seqs,
        group_commit::random_interleavings_keep_seq_gapless_and_each_client_msg_id_once,
        group_commit::concurrent_sends_share_transactions,
        group_commit::a_lone_send_is_not_delayed,
    }
    empty {
        migrations::migrations_apply_to_an_empty_database_and_a_second_run_is_a_no_op,
        migrations::existing_participants_become_members_of_their_conversations_projects,
    }
    test_db {
        concurrency::concurrent_writers_on_separate_pools_get_gapless_seqs,
        concurrency::concurrent_retries_of_one_client_msg_id_store_one_message,
        concurrency::racing_retries_among_fresh_sends_leave_no_gap,
        group_commit::a_window_gathers_sends_and_off_means_one_transaction_each,
    }
}
