using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <summary>
    /// Job chunks: Detected/DetectedAt become Reconstructed/ReconstructedAt (renamed, data kept). Jobs: a server
    /// fault's correlation id. Outbox: quarantine (QuarantinedAt, Error), a pending index that leaves quarantined rows
    /// out, and an index on DispatchedAt for the retention clean-up.
    /// </summary>
    public partial class OutboxHygieneAndFailureCorrelation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_outbox_pending",
                table: "outbox");

            migrationBuilder.RenameColumn(
                name: "DetectedAt",
                table: "job_chunks",
                newName: "ReconstructedAt");

            migrationBuilder.RenameColumn(
                name: "Detected",
                table: "job_chunks",
                newName: "Reconstructed");

            migrationBuilder.AddColumn<string>(
                name: "Error",
                table: "outbox",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "QuarantinedAt",
                table: "outbox",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FailureCorrelationId",
                table: "jobs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_outbox_dispatched",
                table: "outbox",
                column: "DispatchedAt",
                filter: "\"DispatchedAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_outbox_pending",
                table: "outbox",
                column: "Id",
                filter: "\"DispatchedAt\" IS NULL AND \"QuarantinedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_outbox_dispatched",
                table: "outbox");

            migrationBuilder.DropIndex(
                name: "IX_outbox_pending",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "Error",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "QuarantinedAt",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "FailureCorrelationId",
                table: "jobs");

            migrationBuilder.RenameColumn(
                name: "ReconstructedAt",
                table: "job_chunks",
                newName: "DetectedAt");

            migrationBuilder.RenameColumn(
                name: "Reconstructed",
                table: "job_chunks",
                newName: "Detected");

            migrationBuilder.CreateIndex(
                name: "IX_outbox_pending",
                table: "outbox",
                column: "Id",
                filter: "\"DispatchedAt\" IS NULL");
        }
    }
}
