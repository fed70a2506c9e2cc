package dev.srg.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.error.SrgException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Paging a list the server reads whole (a group's networks, a sync's dirty records) by position. */
class PageRequestTest {
    @Test
    @DisplayName("a whole list pages by position: every item once, in order, a token while more follow, none on the last page")
    void sliceWalksEveryItemOnce() {
        List<String> all = IntStream.range(0, 7).mapToObj(i -> "item" + i).toList();
        for (int size = 1; size <= 8; size++) {
            List<String> seen = new ArrayList<>();
            String token = null;
            int pages = 0;
            do {
                PageRequest.Page<String> page = PageRequest.parse(Integer.toString(size), token).slice(all);
                assertThat(page.items().size()).isLessThanOrEqualTo(size);
                seen.addAll(page.items());
                token = page.nextPageToken();
                pages++;
            } while (token != null);
            assertThat(seen).as("pageSize " + size).isEqualTo(all);
            assertThat(pages).isEqualTo((all.size() + size - 1) / size);
        }
        assertThat(PageRequest.first(5).slice(List.of()).items()).isEmpty();
        assertThat(PageRequest.first(5).slice(List.of()).nextPageToken()).isNull();
    }

    @Test
    @DisplayName("a keyset token (an id) or a forged position is a 400 on a whole list; a position past the end is an empty last page")
    void sliceRefusesOtherTokens() {
        List<String> all = List.of("a", "b", "c");
        String keyset = PageRequest.first(1).page(List.of("vpc-1", "vpc-2"), s -> s).nextPageToken();
        assertThatThrownBy(() -> PageRequest.parse("1", keyset).slice(all)).isInstanceOfSatisfying(SrgException.class,
                e -> assertThat(e.field() + " " + e.code()).isEqualTo("pageToken InvalidParameter.PageToken"));
        String position = PageRequest.first(1).slice(all).nextPageToken();
        // a position token on a keyset list only pages from there (the query decides what is seen), never a 500
        assertThat(PageRequest.parse("1", position).afterId()).isEqualTo("@1");
        String past = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("@99".getBytes());
        PageRequest.Page<String> end = PageRequest.parse("2", past).slice(all);
        assertThat(end.items()).isEmpty();
        assertThat(end.nextPageToken()).isNull();
    }
}
